/**
 * Discovery documents for the one group/version Prescale serves, as kube-apiserver's aggregator and
 * kubectl read them (kube-aggregator pkg/apiserver/handler_discovery.go):
 *  - `/apis` with `Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList` (or v2beta1)
 *    gets an APIGroupDiscoveryList whose Content-Type repeats those parameters: the aggregator only takes it
 *    as aggregated discovery when the Content-Type says so, else it falls back to the legacy
 *    `/apis/<group>/<version>` APIResourceList;
 *  - `/apis` otherwise: the legacy APIGroupList; `/apis/external.metrics.k8s.io`: the APIGroup.
 * All documents are static, so they are rendered once with an ETag (the aggregator sends If-None-Match).
 * Left out: protobuf, the `/api` core group (404 is what client-go expects from an aggregated server).
 */
import { createHash } from 'node:crypto';
import { GROUP, VERSION } from './metric-values.js';

const GROUP_VERSION = `${GROUP}/${VERSION}`;

export interface Rendered {
  body: string;
  contentType: string;
  etag: string;
}

const render = (document: unknown, contentType = 'application/json'): Rendered => {
  const body = JSON.stringify(document);
  return { body, contentType, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"` };
};

const apiGroup = {
  kind: 'APIGroup',
  apiVersion: 'v1',
  name: GROUP,
  versions: [{ groupVersion: GROUP_VERSION, version: VERSION }],
  preferredVersion: { groupVersion: GROUP_VERSION, version: VERSION },
};

export const API_GROUP = render(apiGroup);

export const API_GROUP_LIST = render({ kind: 'APIGroupList', apiVersion: 'v1', groups: [apiGroup] });

export const API_RESOURCE_LIST = render({
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: GROUP_VERSION,
  resources: [{ name: 'externalmetrics', singularName: 'externalmetric', namespaced: true, kind: 'ExternalMetricValueList', verbs: ['get'] }],
});

export type AggregatedVersion = 'v2' | 'v2beta1';

const aggregated = (version: AggregatedVersion) =>
  render(
    {
      kind: 'APIGroupDiscoveryList',
      apiVersion: `apidiscovery.k8s.io/${version}`,
      metadata: {},
      items: [
        {
          metadata: { name: GROUP },
          versions: [
            {
              version: VERSION,
              resources: [
                { resource: 'externalmetrics', responseKind: { group: '', version: '', kind: 'ExternalMetricValueList' }, scope: 'Namespaced', singularResource: 'externalmetric', verbs: ['get'] },
              ],
              freshness: 'Current',
            },
          ],
        },
      ],
    },
    `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`,
  );

export const AGGREGATED: Record<AggregatedVersion, Rendered> = { v2: aggregated('v2'), v2beta1: aggregated('v2beta1') };

/**
 * Which aggregated discovery version an Accept header asks for, or null for the legacy list. Media ranges
 * are taken in order of their q (ties in header order), as kube-apiserver's negotiation does.
 */
export function negotiateAggregated(accept: string | undefined): AggregatedVersion | null {
  if (!accept) return null;
  const ranges = accept.split(',').map((part, index) => {
    const [type = '', ...params] = part.split(';').map((s) => s.trim());
    const map = new Map(params.map((p) => { const eq = p.indexOf('='); return [p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim().replace(/^"|"$/g, '')] as const; }));
    const q = map.has('q') ? Number(map.get('q')) : 1;
    return { type: type.toLowerCase(), map, q: Number.isFinite(q) ? q : 0, index };
  });
  ranges.sort((a, b) => b.q - a.q || a.index - b.index);
  for (const range of ranges) {
    if (range.q <= 0) continue;
    if (range.type === 'application/json' && range.map.get('g') === 'apidiscovery.k8s.io' && range.map.get('as') === 'APIGroupDiscoveryList') {
      const v = range.map.get('v');
      if (v === 'v2' || v === 'v2beta1') return v;
      continue;
    }
    // A plain JSON (or anything) range before any aggregated one: the client prefers the legacy form.
    if (range.type === 'application/json' || range.type === '*/*' || range.type === 'application/*') return null;
  }
  return null;
}
