import { describe, expect, it } from 'vitest';
import { dominance, paretoFront, replicaHoursAt, underAt, type FrontierPoint } from '../../src/simulator/frontier.js';

const p = (label: string, replicaHours: number, underMinutes: number): FrontierPoint => ({ label, replicaHours, underMinutes, nodeHours: replicaHours / 7, slack: 0 });

describe('cost/risk frontier', () => {
  // Measured on NASA by bench:frontier (prescale budgets 0.01%, 0.1%, 1%), plus a dominated and a hull-beaten point.
  const prescale = [p('0.01%', 14300, 145), p('0.1%', 12046, 164), p('1%', 10228, 504), p('dominated', 12500, 400), p('above hull', 11000, 420)];

  it('keeps the points no other beats, on the lower convex hull, cheapest first', () => {
    expect(paretoFront(prescale).map((x) => x.label)).toEqual(['1%', '0.1%', '0.01%']);
  });

  it('interpolates by time sharing between neighbours, and assumes nothing beyond the measured range', () => {
    const front = paretoFront(prescale);
    // HPA(0.8) on NASA: 10855 replica-hours; 34.5% of the way from 1% to 0.1%: 504 - 0.345 x 340.
    expect(underAt(front, 10855)).toBeCloseTo(504 - ((10855 - 10228) / (12046 - 10228)) * 340, 6);
    expect(underAt(front, 10000)).toBeNull();
    expect(underAt(front, 20000)).toBe(145);
    expect(replicaHoursAt(front, 504)).toBe(10228);
    expect(replicaHoursAt(front, 334)).toBeCloseTo(10228 + 0.5 * (12046 - 10228), 6);
    expect(replicaHoursAt(front, 2807)).toBe(10228);
    expect(replicaHoursAt(front, 100)).toBeNull();
  });

  it('says which rival points no measured point dominates', () => {
    const hpa = [p('0.5', 17246, 180), p('0.8', 10855, 2807), p('0.9', 9663, 5594)];
    const d = dominance(prescale, hpa);
    expect(d).toEqual({ byPoints: false, byFront: false, notDominated: ['0.9'] });
    expect(dominance(prescale, hpa.slice(0, 2))).toEqual({ byPoints: true, byFront: true, notDominated: [] });
    // A rival with no miss: matched within a noise floor only.
    expect(dominance(prescale, [p('none', 14500, 0)]).byPoints).toBe(false);
    expect(dominance(prescale, [p('none', 14500, 0)], 150).byPoints).toBe(true);
    // Between two measured points: beaten only by time sharing.
    expect(dominance(prescale, [p('mid', 11200, 340)])).toEqual({ byPoints: false, byFront: true, notDominated: ['mid'] });
  });
});
