/**
 * The dashboard's error budget line (src/dashboard/model-panel.ts budgetText), from /api/status's per-target
 * budget (src/scaling/budget-observation.ts budgetStatus) as the plan job leaves it.
 */
import { describe, expect, it } from 'vitest';
import { targetSchema } from '../../src/config/schema.js';
import { budgetText } from '../../src/dashboard/model-panel.js';
import { budgetStatus, targetBudgetConfig } from '../../src/scaling/budget-observation.js';
import { initialBudgetState, observe } from '../../src/scaling/error-budget.js';

const T0 = Date.UTC(2026, 10, 23, 10);
const target = (over: Record<string, unknown> = {}) => targetSchema.parse({ name: 'web', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 100, maxReplicas: 50, ...over });

describe('dashboard: error budget line', () => {
  it('shows the budget, window, spent, left and the multiplier; or the quantile override', () => {
    const t = target({ underProvisionedBudget: 0.001 });
    const config = targetBudgetConfig(t);
    let state = initialBudgetState(config, T0);
    // 1,000 minutes observed, one of them short: 0.1% spent of a 0.1% budget.
    for (let i = 1; i <= 1000; i++) state = observe(state, config, { at: T0 + i * 60_000, short: i === 500 });
    const line = budgetText(budgetStatus(t, state, T0 + 1000 * 60_000));
    expect(line).toMatch(/^error budget 0\.1% \/ 7 d: spent 0\.1%, left 0%, x\d\.\d\d on P98$/);
    expect(budgetText(budgetStatus(target({ quantile: 95 }), state, T0))).toBe('sized at P95 (quantile override, no error budget)');
  });
});
