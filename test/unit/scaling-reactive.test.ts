import { describe, expect, it } from 'vitest';
import { detectBreaches, hpaReplicas, hpaReplicasForLoad, strongestBreach, type BreachInput } from '../../src/scaling/reactive.js';

const base: BreachInput = {
  load: 400,
  cpuUtilization: 0.5,
  memoryUtilization: 0.4,
  sloBreached: false,
  readyReplicas: 5,
  currentReplicas: 5,
  capacityPerReplica: 100,
  targetUtilization: 0.8,
  forecastUpper95: 500,
};

describe('HPA formula', () => {
  it('is ceil(current x metric / target) outside the tolerance', () => {
    expect(hpaReplicas(10, 93, 80)).toBe(12);
    expect(hpaReplicas(10, 85, 80)).toBe(10); // within 10%
    expect(hpaReplicas(10, 40, 80)).toBe(5);
    expect(hpaReplicas(10, NaN, 80)).toBe(10);
    expect(hpaReplicasForLoad(930, 100, 0.8)).toBe(12);
  });
});

describe('breaches', () => {
  it('none when everything is within its threshold', () => {
    expect(detectBreaches(base)).toEqual([]);
  });

  it('CPU above target by more than the margin', () => {
    const [b] = detectBreaches({ ...base, cpuUtilization: 0.93 });
    expect(b).toMatchObject({ signal: 'cpu', replicas: 6, rule: 'reactive: cpu 93% > 90%' });
  });

  it('load above the forecast 95% bound', () => {
    const breaches = detectBreaches({ ...base, load: 700, readyReplicas: 10, currentReplicas: 10 });
    expect(breaches.map((b) => b.signal)).toEqual(['forecast-bound']);
    expect(breaches[0]!.replicas).toBe(9);
    expect(breaches[0]!.rule).toBe('reactive: load 700 > forecast 95% bound 500');
  });

  it('load utilisation, also with no ready replica', () => {
    const b = strongestBreach(detectBreaches({ ...base, load: 520, forecastUpper95: null }));
    expect(b).toMatchObject({ signal: 'load', replicas: 7, rule: 'reactive: load 104% of 5 ready > 100%' });
    expect(detectBreaches({ ...base, load: 495, forecastUpper95: null })).toEqual([]);
    expect(detectBreaches({ ...base, readyReplicas: 0, forecastUpper95: null })[0]).toMatchObject({ signal: 'load', replicas: 5, rule: 'reactive: load 400 with no ready replica' });
  });

  it('an SLO signal grows by a step', () => {
    expect(detectBreaches({ ...base, sloBreached: true })[0]).toMatchObject({ signal: 'slo', replicas: 6 });
    expect(detectBreaches({ ...base, sloBreached: true, currentReplicas: 20, readyReplicas: 20 })[0]!.replicas).toBe(24);
  });

  it('unknown metrics never breach', () => {
    expect(detectBreaches({ ...base, load: null, cpuUtilization: null, memoryUtilization: null })).toEqual([]);
  });

  it('the strongest breach is the one asking most', () => {
    const b = strongestBreach(detectBreaches({ ...base, load: 800, cpuUtilization: 1.8 }));
    expect(b?.signal).toBe('cpu');
    expect(b?.replicas).toBe(12);
  });
});
