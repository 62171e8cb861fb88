import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/load-config.js';
import { REPO_ROOT } from '../../src/core/paths.js';
import { InputError } from '../../src/core/errors.js';
import { DEFAULT_UNDER_PROVISIONED_BUDGET } from '../../src/config/schema.js';

const minimal = {
  targets: [{ name: 'web', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 100, maxReplicas: 10 }],
};

function expectConfigError(document: unknown, ...fragments: string[]): void {
  try {
    parseConfig(document, {});
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    for (const fragment of fragments) expect((error as Error).message).toContain(fragment);
    return;
  }
  throw new Error('expected the config to be rejected');
}

describe('config', () => {
  it('loads the example prescale.yaml with durations in milliseconds and defaults filled in', () => {
    const config = loadConfig(join(REPO_ROOT, 'prescale.yaml'), {});
    expect(config.targets[0]).toMatchObject({ name: 'web', namespace: 'shop', podStartup: 90_000, targetUtilization: 0.8, quantile: 98, underProvisionedBudget: DEFAULT_UNDER_PROVISIONED_BUDGET, budgetWindow: 7 * 86_400_000, quantileOverride: false });
    expect(config.nodePools[0]).toMatchObject({ name: 'general', provisioning: 210_000, driver: { type: 'simulated' } });
    expect(config.schedule).toEqual({ train: 21_600_000, forecast: 60_000, plan: 15_000, reactive: 15_000, collect: 30_000, accuracy: 300_000 });
  });

  it('applies defaults to a minimal config', () => {
    const config = parseConfig(minimal, {});
    expect(config.targets[0]).toMatchObject({ namespace: 'default', kind: 'Deployment', minReplicas: 1, targetUtilization: 0.8, podStartup: 90_000, quantile: 98 });
    expect(config.targets[0]).toMatchObject({ underProvisionedBudget: DEFAULT_UNDER_PROVISIONED_BUDGET, budgetWindow: 604_800_000, quantileOverride: false });
    expect(config.schedule).toEqual({ train: 21_600_000, forecast: 60_000, plan: 15_000, reactive: 15_000, collect: 30_000, accuracy: 300_000 });
    expect(config.influx).toMatchObject({ url: 'http://127.0.0.1:18086', api: 'v1', database: 'prescale' });
  });

  it('takes addresses and secrets from the environment over the file', () => {
    const config = parseConfig(minimal, { PRESCALE_INFLUX_URL: 'http://influx.example:8086', PRESCALE_INFLUX_TOKEN: 's3cret', PRESCALE_HTTP_PORT: '9090', PRESCALE_REDIS_URL: 'redis://r:6380' });
    expect(config.influx.url).toBe('http://influx.example:8086');
    expect(config.influx.token).toBe('s3cret');
    expect(config.http.port).toBe(9090);
    expect(config.redis.url).toBe('redis://r:6380');
  });

  it('the error budget is the knob; an explicit quantile overrides it; bad budgets name the field', () => {
    const target = (over: Record<string, unknown>) => parseConfig({ targets: [{ ...minimal.targets[0], ...over }] }, {}).targets[0]!;
    expect(target({ underProvisionedBudget: 0.005, budgetWindow: '1d' })).toMatchObject({ underProvisionedBudget: 0.005, budgetWindow: 86_400_000, quantile: 98, quantileOverride: false });
    expect(target({ quantile: 90 })).toMatchObject({ quantile: 90, quantileOverride: true });
    const bad = (over: Record<string, unknown>) => ({ targets: [{ ...minimal.targets[0], ...over }] });
    expectConfigError(bad({ underProvisionedBudget: 0 }), 'targets[0].underProvisionedBudget', 'above 0');
    expectConfigError(bad({ underProvisionedBudget: 5 }), 'targets[0].underProvisionedBudget', 'not a percentage');
    expectConfigError(bad({ underProvisionedBudget: '0.1%' }), 'targets[0].underProvisionedBudget', 'share of minutes');
    expectConfigError(bad({ budgetWindow: '10m' }), 'targets[0].budgetWindow', 'at least 1h');
    expectConfigError(bad({ budgetWindow: 'a week' }), 'targets[0].budgetWindow', 'expected a duration');
  });

  it('rejects unknown keys and names their path', () => {
    expectConfigError({ ...minimal, targets: [{ ...minimal.targets[0], capacityPerReplicas: 3 }] }, 'targets[0]', 'unknown key(s) "capacityPerReplicas"');
    expectConfigError({ ...minimal, influxdb: {} }, '(root)', '"influxdb"');
  });

  it('names the field path and what was expected for wrong values', () => {
    expectConfigError({ targets: [{ ...minimal.targets[0], capacityPerReplica: 'lots' }] }, 'targets[0].capacityPerReplica', 'number');
    expectConfigError({ targets: [{ ...minimal.targets[0], podStartup: 'soon' }] }, 'targets[0].podStartup', 'expected a duration');
    expectConfigError({ targets: [{ ...minimal.targets[0], minReplicas: 20 }] }, 'targets[0].minReplicas', 'above maxReplicas');
    expectConfigError({ targets: [] }, 'targets', 'at least one target');
  });

  it('checks cross references: node pools, pod requests and duplicate targets', () => {
    expectConfigError({ targets: [{ ...minimal.targets[0], nodePool: 'gpu' }] }, 'targets[0].nodePool', 'unknown node pool "gpu"', 'targets[0].podRequests');
    expectConfigError({ targets: [minimal.targets[0], minimal.targets[0]] }, 'targets[1].name', 'duplicate target default/web');
  });

  it('reports YAML syntax errors with file and line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'prescale-config-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'targets:\n  - name: web\n   load: [\n');
    expect(() => loadConfig(file, {})).toThrow(new RegExp(`${file}:\\d+: not valid YAML`));
    expect(() => loadConfig(join(dir, 'missing.yaml'), {})).toThrow(/missing\.yaml: cannot read config file/);
  });
});
