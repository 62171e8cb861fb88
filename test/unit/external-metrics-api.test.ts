import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { negotiateAggregated, AGGREGATED, API_RESOURCE_LIST } from '../../src/external-metrics/discovery.js';
import { LabelSelectorError, parseLabelSelector } from '../../src/external-metrics/label-selector.js';
import { externalMetricValues, type MetricValuesContext } from '../../src/external-metrics/metric-values.js';
import { OPENAPI_V2, OPENAPI_V3_GROUP_VERSION, OPENAPI_V3_INDEX } from '../../src/external-metrics/openapi.js';
import { formatQuantity } from '../../src/external-metrics/quantity-format.js';
import { StatusError } from '../../src/external-metrics/status.js';
import { parseQuantity } from '../../src/kube/quantity.js';
import type { PublishedPlan } from '../../src/publish/published-plan.js';

describe('formatQuantity', () => {
  it('writes whole numbers plain and the rest in milli units, round-tripping through parseQuantity', () => {
    expect(formatQuantity(12)).toBe('12');
    expect(formatQuantity(1.5)).toBe('1500m');
    expect(formatQuantity(0.0334)).toBe('33m');
    expect(formatQuantity(0)).toBe('0');
    expect(formatQuantity(-2.25)).toBe('-2250m');
    expect(formatQuantity(8.001)).toBe('8001m');
    for (const v of [12, 1.5, 0.033, 123456.789]) expect(parseQuantity(formatQuantity(v))).toBeCloseTo(v, 3);
  });

  it('refuses NaN and infinities', () => {
    expect(() => formatQuantity(Number.NaN)).toThrow(RangeError);
    expect(() => formatQuantity(Infinity)).toThrow(RangeError);
  });
});

describe('parseLabelSelector', () => {
  const labels = { target: 'web', namespace: 'shop', quantile: '98', horizon: 'lead' };
  it.each([
    ['', true],
    ['target=web', true],
    ['target==web', true],
    ['target!=web', false],
    ['target in (api, web)', true],
    ['target notin (web)', false],
    ['target', true],
    ['!target', false],
    ['!missing', true],
    ['target=web,quantile=98', true],
    [' target = web , horizon in (now) ', false],
    ['quantile>50', true],
    ['quantile<50', false],
    ['missing!=x', true],
    ['example.com/team=a', false],
  ])('%j matches: %s', (text, expected) => {
    expect(parseLabelSelector(text).matches(labels)).toBe(expected);
  });

  it('allows an empty value, as Kubernetes does', () => {
    expect(parseLabelSelector('target=').matches({ target: '' })).toBe(true);
  });

  it.each(['target=web,', '=web', 'target in web', 'target in (a,b', 'target notin ()x', 'tar get=web', 'target=web!', 'target>x', 'target~web', 'UPPER/x=y', `k=${'v'.repeat(64)}`, 'a,,b'])('%j is malformed', (text) => {
    expect(() => parseLabelSelector(text)).toThrow(LabelSelectorError);
  });

  it('reports the keys it constrains', () => {
    expect([...parseLabelSelector('target=web,!horizon').keys]).toEqual(['target', 'horizon']);
  });
});

describe('aggregated discovery negotiation', () => {
  it('answers the aggregator (v2 then v2beta1) and falls back to the legacy list otherwise', () => {
    expect(negotiateAggregated('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList')).toBe('v2');
    expect(negotiateAggregated('application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList')).toBe('v2beta1');
    expect(negotiateAggregated('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList, application/json')).toBe('v2');
    expect(negotiateAggregated('application/json, application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList')).toBeNull();
    expect(negotiateAggregated('application/json;q=0.5, application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList')).toBe('v2');
    expect(negotiateAggregated('application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList')).toBeNull();
    expect(negotiateAggregated(undefined)).toBeNull();
  });

  it('labels the aggregated body with the GVK parameters the aggregator checks', () => {
    expect(AGGREGATED.v2.contentType).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    const doc = JSON.parse(AGGREGATED.v2.body);
    expect(doc.apiVersion).toBe('apidiscovery.k8s.io/v2');
    expect(doc.items[0].versions[0].resources[0]).toMatchObject({ resource: 'externalmetrics', scope: 'Namespaced', verbs: ['get'], responseKind: { kind: 'ExternalMetricValueList' } });
    expect(JSON.parse(API_RESOURCE_LIST.body).resources[0]).toMatchObject({ name: 'externalmetrics', kind: 'ExternalMetricValueList', namespaced: true, verbs: ['get'] });
  });
});

describe('OpenAPI documents', () => {
  it('are valid Swagger 2.0 and OpenAPI 3.0', async () => {
    const v2 = await new Validator().validate(JSON.parse(OPENAPI_V2));
    expect(v2.errors ?? []).toEqual([]);
    expect(v2.valid).toBe(true);
    const v3 = await new Validator().validate(JSON.parse(OPENAPI_V3_GROUP_VERSION));
    expect(v3.errors ?? []).toEqual([]);
    expect(v3.valid).toBe(true);
    expect(JSON.parse(OPENAPI_V3_INDEX).paths['apis/external.metrics.k8s.io/v1beta1'].serverRelativeURL).toMatch(/^\/openapi\/v3\/apis\/external\.metrics\.k8s\.io\/v1beta1\?hash=[0-9A-F]+$/);
  });
});

describe('externalMetricValues', () => {
  const at = Date.UTC(2026, 0, 5, 12, 0, 0);
  const plan = (target: string, plannedReplicas: number, desiredReplicas: number, over: Partial<PublishedPlan> = {}): PublishedPlan => ({
    target, at, loop: 'plan', actuation: 'hpa', mode: 'predictive', plannedReplicas, desiredReplicas, readyReplicas: desiredReplicas, quantile: 98, podLeadMs: 90_000,
    predictedNow: { at, median: 120.5, quantile: 150 }, predictedAhead: { at: at + 90_000, median: 200, quantile: 240.25 }, forecastIssuedAt: at - 60_000, rule: 'forecast', ...over,
  });
  const plans = new Map<string, PublishedPlan>([
    ['shop/web', plan('shop/web', 11, 10)],
    ['shop/api', plan('shop/api', 4, 4)],
    ['shop/cold', plan('shop/cold', 3, 3, { at: at - 10 * 60_000 })],
  ]);
  const context = (over: Partial<MetricValuesContext> = {}): MetricValuesContext => ({
    targets: [
      { namespace: 'shop', name: 'web', kind: 'Deployment', quantile: 98 },
      { namespace: 'shop', name: 'api', kind: 'StatefulSet', quantile: 95 },
      { namespace: 'shop', name: 'cold', kind: 'Deployment', quantile: 98 },
      { namespace: 'shop', name: 'new', kind: 'Deployment', quantile: 98 },
    ],
    plans,
    now: at + 5_000,
    staleAfterMs: 45_000,
    hpaTolerance: 0,
    ...over,
  });
  const values = (metric: string, selector: string, over: Partial<MetricValuesContext> = {}, namespace = 'shop') => externalMetricValues(namespace, metric, parseLabelSelector(selector), selector, context(over));
  const statusOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      if (error instanceof StatusError) return error.body();
      throw error;
    }
    throw new Error('expected a StatusError');
  };

  it('serves the planned replicas of the selected target with its labels and the tick time', () => {
    const list = values('prescale-planned-replicas', 'target=web');
    expect(list).toEqual({
      kind: 'ExternalMetricValueList', apiVersion: 'external.metrics.k8s.io/v1beta1', metadata: {},
      items: [{ metricName: 'prescale-planned-replicas', metricLabels: { target: 'web', namespace: 'shop', deployment: 'web' }, timestamp: '2026-01-05T12:00:00Z', value: '11' }],
    });
    expect(values('prescale-planned-replicas', 'statefulset=api').items.map((i) => i.value)).toEqual(['4']);
  });

  it('encodes a one-replica step for the HPA tolerance when configured', () => {
    expect(values('prescale-planned-replicas', 'target=web', { hpaTolerance: 0.1 }).items[0]!.value).toBe('12');
  });

  it('serves the predicted load: planning quantile one lead ahead by default, median and now on request', () => {
    expect(values('prescale-predicted-load', 'target=web').items.map((i) => [i.metricLabels['quantile'], i.metricLabels['horizon'], i.value])).toEqual([['98', 'lead', '240250m']]);
    expect(values('prescale-predicted-load', 'target=web,quantile=50,horizon=now').items.map((i) => i.value)).toEqual(['120500m']);
    expect(values('prescale-predicted-load', 'target=web,quantile in (50,98)').items.map((i) => i.value)).toEqual(['200', '240250m']);
    expect(values('prescale-predicted-load', 'target=api').items[0]!.metricLabels).toMatchObject({ quantile: '95', horizon: 'lead' });
  });

  it('answers 404 for an unknown metric, a namespace without targets and a selector matching nothing', () => {
    expect(statusOf(() => values('requests-per-second', 'target=web'))).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
    expect(statusOf(() => values('prescale-planned-replicas', 'target=web', {}, 'default')).message).toContain('no target in namespace "default"');
    const none = statusOf(() => values('prescale-planned-replicas', 'target=nope'));
    expect(none).toMatchObject({ reason: 'NotFound', code: 404 });
    expect(none.message).toContain('targets here: web, api, cold, new');
  });

  it('answers 503 (the HPA holds) for no plan yet, a stale plan, or any selected target it cannot serve', () => {
    const fresh = statusOf(() => values('prescale-planned-replicas', 'target=new'));
    expect(fresh).toMatchObject({ reason: 'ServiceUnavailable', code: 503 });
    expect(fresh.message).toContain('no plan published yet for shop/new');
    expect(statusOf(() => values('prescale-planned-replicas', 'target=cold')).message).toContain('is 605 s old');
    // web and cold together: a partial sum would look like less load, so nothing is served.
    expect(statusOf(() => values('prescale-planned-replicas', 'target in (web,cold)')).code).toBe(503);
    const noForecast = new Map([['shop/web', plan('shop/web', 11, 10, { predictedAhead: null })]]);
    expect(statusOf(() => values('prescale-predicted-load', 'target=web', { plans: noForecast })).message).toContain('no forecast covers shop/web one pod lead ahead');
  });

  it('does not serve the planned replicas of a forecast-only target (serving them is applying them), but its forecast', () => {
    const targets = context().targets.map((t) => (t.name === 'web' ? { ...t, forecastOnly: true } : t));
    const refused = statusOf(() => values('prescale-planned-replicas', 'target=web', { targets }));
    expect(refused).toMatchObject({ reason: 'ServiceUnavailable', code: 503 });
    expect(refused.message).toContain('shop/web is forecast-only');
    expect(values('prescale-predicted-load', 'target=web', { targets }).items.map((i) => i.value)).toEqual(['240250m']);
  });

  it('sums nothing twice: two targets give two items, published as planned (no tolerance encoding of a sum)', () => {
    expect(values('prescale-planned-replicas', 'target in (web,api)', { hpaTolerance: 0.1 }).items.map((i) => i.value)).toEqual(['11', '4']);
  });
});
