const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Parses "90s", "5m", "1h", "1d", "1w", "250ms" or a bare number of seconds into milliseconds.
 * Returns undefined for anything else so callers can report the field that held it.
 */
export function parseDurationMs(input: string | number): number | undefined {
  let ms: number;
  if (typeof input === 'number') {
    if (!(input >= 0)) return undefined;
    ms = input * 1000;
  } else {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/.exec(input);
    if (!match) return undefined;
    ms = Number(match[1]) * UNIT_MS[match[2] ?? 's']!;
  }
  // 1e306 seconds is a finite number of seconds but not of milliseconds: never hand Infinity on.
  return Number.isFinite(ms) ? ms : undefined;
}

/** The shortest exact rendering of a duration: 300000 -> "5m", 90000 -> "90s". */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit]!;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
