/**
 * Which other autoscalers concern a target and what that means per actuation mode (src/scaling/actuation.ts):
 * scaleTargetRef matching, the conflict reason in direct mode, the warnings in hpa and keda modes.
 */
import { describe, expect, it } from 'vitest';
import type { AutoscalerInfo, AutoscalerListing } from '../../src/cluster/cluster.js';
import { assessActuation, autoscalersOf, PLANNED_REPLICAS_METRIC, refersTo } from '../../src/scaling/actuation.js';

const web = { kind: 'Deployment', namespace: 'shop', name: 'web' };
const hpa = (name: string, over: Partial<AutoscalerInfo> = {}): AutoscalerInfo => ({
  kind: 'HorizontalPodAutoscaler', namespace: 'shop', name, scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, externalMetrics: [], ...over,
});
const so = (name: string, over: Partial<AutoscalerInfo> = {}): AutoscalerInfo => ({
  kind: 'ScaledObject', namespace: 'shop', name, scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, ...over,
});
const listing = (autoscalers: AutoscalerInfo[], unchecked: string[] = []): AutoscalerListing => ({ autoscalers, unchecked });

describe('refersTo: does a scaleTargetRef name the workload', () => {
  it('matches Deployments and StatefulSets on kind, name and group (apps; extensions for old Deployments; none given)', () => {
    expect(refersTo({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, web)).toBe(true);
    expect(refersTo({ apiVersion: 'extensions/v1beta1', kind: 'Deployment', name: 'web' }, web)).toBe(true);
    expect(refersTo({ kind: 'Deployment', name: 'web' }, web)).toBe(true);
    expect(refersTo({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' }, web)).toBe(false);
    expect(refersTo({ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web' }, web)).toBe(false);
    expect(refersTo({ apiVersion: 'example.com/v1', kind: 'Deployment', name: 'web' }, web)).toBe(false);
    const db = { kind: 'StatefulSet', namespace: 'shop', name: 'pg' };
    expect(refersTo({ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'pg' }, db)).toBe(true);
    expect(refersTo({ apiVersion: 'extensions/v1beta1', kind: 'StatefulSet', name: 'pg' }, db)).toBe(false);
  });

  it('matches a group/version/resource target on group and name (kind vs plural is not decidable offline)', () => {
    const rollout = { kind: 'argoproj.io/v1alpha1/rollouts', namespace: 'shop', name: 'checkout' };
    expect(refersTo({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'checkout' }, rollout)).toBe(true);
    expect(refersTo({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'checkout' }, rollout)).toBe(false);
    expect(refersTo({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'other' }, rollout)).toBe(false);
  });

  it('keeps only autoscalers of the same namespace', () => {
    const found = autoscalersOf(web, [hpa('a'), hpa('b', { namespace: 'other' }), hpa('c', { scaleTargetRef: { kind: 'Deployment', name: 'api' } })]);
    expect(found.map((a) => a.name)).toEqual(['a']);
  });
});

describe('assessActuation', () => {
  it('direct with an HPA on the workload: a conflict that names it and says which mode to use', () => {
    const result = assessActuation({ actuation: 'direct', ref: web, listing: listing([hpa('web-hpa'), hpa('api-hpa', { scaleTargetRef: { kind: 'Deployment', name: 'api' } })]) });
    expect(result.conflict).toEqual({
      autoscalers: [{ kind: 'HorizontalPodAutoscaler', namespace: 'shop', name: 'web-hpa' }],
      reason: "conflict: HorizontalPodAutoscaler shop/web-hpa also scales Deployment shop/web; set actuation: hpa to let it apply Prescale's plan",
    });
    expect(result.warnings).toEqual([]);
  });

  it("direct with a ScaledObject: names the ScaledObject (not KEDA's own HPA) and suggests keda, listing both", () => {
    const result = assessActuation({ actuation: 'direct', ref: web, listing: listing([so('web'), hpa('keda-hpa-web')]) });
    expect(result.conflict?.reason).toBe("conflict: ScaledObject shop/web also scales Deployment shop/web; set actuation: keda to let it apply Prescale's plan");
    expect(result.conflict?.autoscalers.map((a) => `${a.kind}/${a.name}`)).toEqual(['ScaledObject/web', 'HorizontalPodAutoscaler/keda-hpa-web']);
  });

  it('direct with two HPAs names both', () => {
    const result = assessActuation({ actuation: 'direct', ref: web, listing: listing([hpa('one'), hpa('two')]) });
    expect(result.conflict?.reason).toMatch(/^conflict: HorizontalPodAutoscaler shop\/one and HorizontalPodAutoscaler shop\/two also scale Deployment shop\/web; /);
  });

  it('direct without other autoscalers: no conflict; an incomplete check is a warning, not a stop', () => {
    expect(assessActuation({ actuation: 'direct', ref: web, listing: listing([]) })).toEqual({ conflict: null, warnings: [] });
    const forbidden = assessActuation({ actuation: 'direct', ref: web, listing: listing([], ['HorizontalPodAutoscaler: 403 Forbidden: no']) });
    expect(forbidden.conflict).toBeNull();
    expect(forbidden.warnings).toEqual(['could not check every autoscaler (HorizontalPodAutoscaler: 403 Forbidden: no): patching as configured (actuation: direct)']);
  });

  it('hpa mode: its own HPA is expected, never a conflict; warns when none exists or it does not read the metric', () => {
    const reading = hpa('web-hpa', { externalMetrics: [PLANNED_REPLICAS_METRIC] });
    expect(assessActuation({ actuation: 'hpa', ref: web, listing: listing([reading]) })).toEqual({ conflict: null, warnings: [] });
    expect(assessActuation({ actuation: 'hpa', ref: web, listing: listing([]) }).warnings).toEqual([
      `no HorizontalPodAutoscaler scales Deployment shop/web: nothing applies the published plan (add one that reads the external metric ${PLANNED_REPLICAS_METRIC})`,
    ]);
    expect(assessActuation({ actuation: 'hpa', ref: web, listing: listing([hpa('cpu-hpa')]) }).warnings).toEqual([
      `HorizontalPodAutoscaler shop/cpu-hpa does not read the external metric ${PLANNED_REPLICAS_METRIC}: the published plan does not reach it`,
    ]);
    // Unknown: no claim that none exists.
    expect(assessActuation({ actuation: 'hpa', ref: web, listing: listing([], ['HorizontalPodAutoscaler: 403']) }).warnings).toEqual(['could not check every autoscaler (HorizontalPodAutoscaler: 403)']);
  });

  it("keda mode: a ScaledObject and KEDA's HPA are expected; warns when no ScaledObject scales the workload", () => {
    expect(assessActuation({ actuation: 'keda', ref: web, listing: listing([so('web'), hpa('keda-hpa-web')]) })).toEqual({ conflict: null, warnings: [] });
    const none = assessActuation({ actuation: 'keda', ref: web, listing: listing([so('api', { scaleTargetRef: { kind: 'Deployment', name: 'api' } })]) });
    expect(none.conflict).toBeNull();
    expect(none.warnings[0]).toMatch(/^no ScaledObject scales Deployment shop\/web: nothing applies the published plan/);
  });
});
