/** The effect of one calendar entry on a target at a moment (see calendar.ts for entries and recurrence). */
export interface CalendarEffect {
  entryId: string;
  /** floor: at least N; ceiling: at most N; absolute: exactly N; relative: +N replicas or +N percent. */
  kind: 'floor' | 'ceiling' | 'absolute' | 'relative';
  replicas?: number;
  /** For relative effects: percent change (+50 = one and a half times). */
  percent?: number;
  /** Higher wins when effects conflict; ties broken by entryId for determinism. */
  priority: number;
}
