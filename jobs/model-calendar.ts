/**
 * The calendar flags a target's models are fitted with and forecast with: one per calendar entry that applies to
 * the target (`calendar:<id>`, src/scaling/calendar.ts) and, when recurring reactive scale-ups were learned, one
 * for them (`learned:reactive`, src/scaling/learned-actions.ts). The train job builds them from the suggestions it
 * has just computed; the forecast job from the calendar store and the suggestions the last training stored
 * (StateStore.getSuggestions), so a model forecasts with the flags it learned from instead of reading them as 0.
 *
 * Left out: which forecasters use flags (only the LSTM does; the others ignore them).
 */
import type { CalendarFeature } from '../src/forecasting/forecaster.js';
import { calendarFeatures, type CalendarEntry } from '../src/scaling/calendar.js';
import { learnedFeature, type SuggestedFloor } from '../src/scaling/learned-actions.js';
import type { JobDeps } from './deps.js';

export function modelCalendar(entries: readonly CalendarEntry[], suggestions: readonly SuggestedFloor[], target: string): CalendarFeature[] {
  return [...calendarFeatures(entries, target), ...(suggestions.length > 0 ? [learnedFeature(suggestions, target)] : [])];
}

/**
 * Flags that follow the stores: `refresh` re-reads entries and suggestions (once per forecast run) and returns
 * features whose `at` consults the latest read, so a model loaded once per version sees edited or removed
 * entries as they are now (a removed one reads 0).
 */
export function liveModelCalendar(deps: Pick<JobDeps, 'calendarEntries' | 'state'>) {
  const latest = new Map<string, Map<string, CalendarFeature>>();
  return {
    async refresh(target: string): Promise<CalendarFeature[]> {
      const [entries, suggestions] = await Promise.all([deps.calendarEntries(target), deps.state.getSuggestions(target)]);
      const features = modelCalendar(entries, suggestions, target);
      latest.set(target, new Map(features.map((f) => [f.name, f])));
      return features.map(({ name }) => ({ name, at: (t: number) => latest.get(target)?.get(name)?.at(t) ?? 0 }));
    },
  };
}
