/**
 * Minimal OpenAPI documents for the aggregator: `/openapi/v2` (Swagger 2.0) and `/openapi/v3` (the v3
 * discovery index) with `/openapi/v3/apis/external.metrics.k8s.io/v1beta1` (OpenAPI 3.0). kube-apiserver
 * merges them into the cluster's spec; without them it logs download errors for the APIService. They
 * describe the one GET and the ExternalMetricValueList and Status shapes. Left out: protobuf variants.
 */
import { createHash } from 'node:crypto';
import { GROUP, VERSION } from './metric-values.js';

const PATH = `/apis/${GROUP}/${VERSION}/namespaces/{namespace}/{metric}`;
const VERSION_PATH = `apis/${GROUP}/${VERSION}`;

const schemas = (ref: (name: string) => string) => ({
  ExternalMetricValue: {
    type: 'object',
    required: ['metricName', 'metricLabels', 'timestamp', 'value'],
    properties: {
      metricName: { type: 'string' },
      metricLabels: { type: 'object', additionalProperties: { type: 'string' } },
      timestamp: { type: 'string', format: 'date-time' },
      window: { type: 'integer', format: 'int64' },
      value: { type: 'string', description: 'A Kubernetes quantity, e.g. "12" or "1500m".' },
    },
  },
  ExternalMetricValueList: {
    type: 'object',
    required: ['items'],
    properties: {
      kind: { type: 'string' },
      apiVersion: { type: 'string' },
      metadata: { type: 'object' },
      items: { type: 'array', items: { $ref: ref('ExternalMetricValue') } },
    },
    'x-kubernetes-group-version-kind': [{ group: GROUP, version: VERSION, kind: 'ExternalMetricValueList' }],
  },
  Status: {
    type: 'object',
    properties: { kind: { type: 'string' }, apiVersion: { type: 'string' }, status: { type: 'string' }, message: { type: 'string' }, reason: { type: 'string' }, code: { type: 'integer', format: 'int32' } },
  },
});

const parameters = [
  { name: 'namespace', in: 'path', required: true, description: 'Namespace of the scaled workload.' },
  { name: 'metric', in: 'path', required: true, description: 'prescale-planned-replicas or prescale-predicted-load.' },
  { name: 'labelSelector', in: 'query', required: false, description: 'Selects targets, e.g. target=web; quantile=50|<planning>, horizon=now|lead for the load.' },
];

export const OPENAPI_V2 = JSON.stringify({
  swagger: '2.0',
  info: { title: 'Prescale external metrics', version: VERSION },
  paths: {
    [PATH]: {
      get: {
        operationId: 'listExternalMetricValue',
        produces: ['application/json'],
        parameters: parameters.map((p) => ({ ...p, type: 'string' })),
        responses: {
          '200': { description: 'The metric values.', schema: { $ref: '#/definitions/ExternalMetricValueList' } },
          default: { description: 'A Kubernetes Status.', schema: { $ref: '#/definitions/Status' } },
        },
      },
    },
  },
  definitions: schemas((name) => `#/definitions/${name}`),
});

export const OPENAPI_V3_GROUP_VERSION = JSON.stringify({
  openapi: '3.0.0',
  info: { title: 'Prescale external metrics', version: VERSION },
  paths: {
    [PATH]: {
      get: {
        operationId: 'listExternalMetricValue',
        parameters: parameters.map((p) => ({ ...p, schema: { type: 'string' } })),
        responses: {
          '200': { description: 'The metric values.', content: { 'application/json': { schema: { $ref: '#/components/schemas/ExternalMetricValueList' } } } },
          default: { description: 'A Kubernetes Status.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Status' } } } },
        },
      },
    },
  },
  components: { schemas: schemas((name) => `#/components/schemas/${name}`) },
});

const hash = createHash('sha512').update(OPENAPI_V3_GROUP_VERSION).digest('hex').slice(0, 128).toUpperCase();

/** The v3 index: one group/version and the URL of its document (the hash lets clients cache it). */
export const OPENAPI_V3_INDEX = JSON.stringify({ paths: { [VERSION_PATH]: { serverRelativeURL: `/openapi/v3/${VERSION_PATH}?hash=${hash}` } } });

export const OPENAPI_V3_PATH = `/openapi/v3/${VERSION_PATH}`;
