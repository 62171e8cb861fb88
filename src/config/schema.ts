import { z } from 'zod';
import { parseDurationMs } from '../core/duration.js';
import { hashTagged } from '../core/redis-hash-tag.js';
import { parseClusterNode } from '../core/redis.js';

/** A duration as "90s", "5m", "1h" or seconds; parsed to milliseconds. */
const duration = z
  .union([z.string(), z.number()])
  .transform((raw, ctx) => {
    const ms = parseDurationMs(raw);
    if (ms === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected a duration like "90s", "5m" or a number of seconds, got ${JSON.stringify(raw)}` });
      return z.NEVER;
    }
    return ms;
  });

/** A duration that must be longer than zero (a grid step, a period, a timeout). */
const positiveDuration = duration.refine((ms) => ms > 0, 'must be longer than 0');

/** redis://, rediss:// or a unix socket path; the message never repeats the URL (it may hold a password). */
const redisUrl = z.string().refine((url) => {
  if (url.startsWith('/')) return true;
  try {
    return ['redis:', 'rediss:'].includes(new URL(url).protocol);
  } catch {
    return false;
  }
}, 'expected redis://[user:password@]host:port[/db], rediss://... or a unix socket path');

/**
 * `redis`: one redis-server at `url`, or a Redis Cluster when `cluster` lists seed nodes ("host:port", a list
 * or one comma-separated string as from PRESCALE_REDIS_CLUSTER); then `url` only gives user, password and TLS
 * (rediss://). On a Cluster the prefix is hash-tagged ("prescale" -> "{prescale}") so BullMQ's queues and every
 * multi-key command stay in one slot (core/redis-hash-tag.ts).
 */
const redisSchema = z
  .object({
    url: redisUrl.default('redis://127.0.0.1:6379'),
    prefix: z.string().default('prescale'),
    cluster: z
      .preprocess(
        (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v),
        z.array(z.string().refine((node) => parseClusterNode(node) !== null, 'expected host:port (port 1-65535), e.g. "10.0.0.5:6379"')).min(1, 'list at least one seed node'),
      )
      .optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (!r.cluster) return;
    if (r.prefix === '') ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['prefix'], message: 'must not be empty with redis.cluster (it becomes the hash tag)' });
    let db = '';
    try {
      db = r.url.startsWith('/') ? '' : new URL(r.url).pathname.replace(/^\//, '');
    } catch {
      // An invalid URL: its own check reports it.
    }
    if (db !== '' && db !== '0') ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['url'], message: 'a Redis Cluster has only database 0: drop the /<db> from the URL' });
  })
  .transform((r) => (r.cluster ? { ...r, prefix: hashTagged(r.prefix) } : r));

const name = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'expected a DNS-1123 name (lower case letters, digits, "-" and ".")');

const tags = z.record(z.string(), z.string());

export const metricRefSchema = z
  .object({
    measurement: z.string().min(1),
    field: z.string().min(1),
    /** Exact-match tags that select this workload's series. */
    tags: tags.default({}),
    /** How points are combined into one grid step. */
    aggregate: z.enum(['mean', 'max', 'min', 'sum', 'last']).default('mean'),
  })
  .strict();

export const resourcesSchema = z
  .object({
    /** CPU cores, e.g. 0.5. */
    cpu: z.number().positive().finite(),
    /** Memory in MiB. */
    memoryMiB: z.number().positive().finite(),
  })
  .strict();

/**
 * Default error budget (targets[].underProvisionedBudget): 1% of minutes, about 100 minutes a week. Chosen by
 * `npm run bench:frontier` (2026-11-30): the smallest measured budget that keeps slack <= 25% on every bundled
 * trace whose oracle allows it (0.1% ran 31% slack on ASG and 36% on Twitter; 0.3% 30% on Twitter), while still
 * 0.06-0.18x the HPA(0.8)'s under-provisioned minutes at 0.82-1.03x its replica-hours (ELB aside). Stricter
 * services set a smaller budget and pay for it in replicas.
 */
export const DEFAULT_UNDER_PROVISIONED_BUDGET = 0.01;
/** Largest error budget accepted: a share above it is almost surely a percentage typed as a share. */
export const MAX_UNDER_PROVISIONED_BUDGET = 0.2;
/** The quantile the planner starts from when `quantile` is not set (and sizes with when budget control is off). */
export const DEFAULT_QUANTILE = 98;

export const targetSchema = z
  .object({
    name,
    namespace: name.default('default'),
    /** Deployment, StatefulSet, or any /scale resource as group/version/resource (e.g. argoproj.io/v1alpha1/rollouts). */
    kind: z.string().regex(/^(Deployment|StatefulSet|[a-z0-9.-]+\/v[a-z0-9]+\/[a-z0-9-]+)$/, 'expected Deployment, StatefulSet or group/version/resource').default('Deployment'),
    /** The metric that is the load (requests/s, messages/s...). */
    load: metricRefSchema,
    /** Optional hardware metrics of the workload, in cores and MiB per replica summed over pods. */
    cpu: metricRefSchema.optional(),
    memory: metricRefSchema.optional(),
    /** Load one Ready replica serves at saturation; above it requests fail or slow. */
    capacityPerReplica: z.number().positive().finite(),
    /** Utilisation a reactive autoscaler would keep (its headroom). */
    targetUtilization: z.number().gt(0).lte(1).default(0.8),
    minReplicas: z.number().int().min(0).default(1),
    maxReplicas: z.number().int().min(1),
    /** Pod created -> Ready, used until enough measured samples exist. */
    podStartup: duration.default('90s'),
    /** Node pool the workload's pods run on (name of a nodePools entry). */
    nodePool: name.optional(),
    /** Resource requests of one pod, for node-pool packing. */
    podRequests: resourcesSchema.optional(),
    /**
     * The error budget, the main sizing knob: the share of minutes the target may run short of capacity (live
     * load above what its Ready replicas serve), 0.001 = 0.1%. The planner's error-budget controller
     * (src/scaling/error-budget.ts) adapts the headroom from the misses it measures to spend it evenly over
     * `budgetWindow`. Off when `quantile` is set.
     */
    underProvisionedBudget: z
      .number({ invalid_type_error: 'expected a share of minutes, e.g. 0.001 (= 0.1%)' })
      .gt(0, 'expected a share of minutes above 0, e.g. 0.001 (= 0.1%)')
      .max(MAX_UNDER_PROVISIONED_BUDGET, `expected a share of minutes up to ${MAX_UNDER_PROVISIONED_BUDGET} (a share, not a percentage: 0.001 = 0.1%)`)
      .default(DEFAULT_UNDER_PROVISIONED_BUDGET),
    /** The window the error budget is spent over (SRE style: misses older than this no longer count). */
    budgetWindow: duration.refine((ms) => ms >= 3_600_000, 'expected at least 1h (e.g. "7d")').default('7d'),
    /**
     * Expert override: the forecast quantile the planner sizes for, in percent (the quantile of one forecast
     * step's load). Set, it wins and the error-budget controller is off for the target; unset, the planner
     * starts from DEFAULT_QUANTILE and the controller moves from there.
     */
    quantile: z.number().min(50).max(99).optional(),
    /** plan and record only, never apply. */
    forecastOnly: z.boolean().default(false),
    /**
     * Who writes spec.replicas: direct = Prescale patches the scale subresource; hpa = the workload's own HPA
     * reads the planned replicas as an external metric; keda = KEDA's metrics-api scaler reads them. In hpa
     * and keda modes Prescale never patches, it publishes.
     */
    actuation: z.enum(['direct', 'hpa', 'keda']).default('direct'),
    /**
     * Self-healing service check, run by the reactive loop: an HTTP probe (2xx/3xx = healthy) when `url` is
     * set, else the ready ratio of the workload's pods. Failing `failureThreshold` times in a row redeploys.
     */
    serviceCheck: z
      .object({
        url: z.string().url().optional(),
        minReadyRatio: z.number().gt(0).lte(1).default(0.6),
        failureThreshold: z.number().int().min(1).default(3),
        timeout: positiveDuration.default('2s'),
      })
      .strict()
      .optional(),
    /** Forecaster choice: auto = champion by backtest. */
    model: z.enum(['auto', 'hw', 'lstm', 'mstl', 'snaive', 'theta']).default('auto'),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.minReplicas > t.maxReplicas) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['minReplicas'], message: `minReplicas (${t.minReplicas}) is above maxReplicas (${t.maxReplicas})` });
  })
  // `quantile` is always a number after parsing (every reader sizes with it); `quantileOverride` remembers
  // whether the config set it, which turns the error-budget controller off.
  .transform(({ quantile, ...t }) => ({ ...t, quantile: quantile ?? DEFAULT_QUANTILE, quantileOverride: quantile !== undefined }));

export const nodePoolDriverSchema = z.discriminatedUnion('type', [
  /** Only the simulated cluster: nodes appear after the provisioning time. */
  z.object({ type: z.literal('simulated') }).strict(),
  /** Low-priority pause pods that make the cluster autoscaler (or Karpenter) add nodes ahead of time. */
  z.object({ type: z.literal('placeholder'), namespace: name, deployment: name }).strict(),
  /** autoscaling.x-k8s.io CapacityBuffer replicas. */
  z.object({ type: z.literal('capacity-buffer'), namespace: name, buffer: name }).strict(),
  /** A Cluster API MachineDeployment's scale subresource. */
  z.object({ type: z.literal('cluster-api'), namespace: name, machineDeployment: name }).strict(),
  /** A Karpenter static NodePool (spec.replicas). */
  z.object({ type: z.literal('karpenter-static'), nodePool: name }).strict(),
  /** Plan and record node counts, never act. */
  z.object({ type: z.literal('none') }).strict(),
]);

export const nodePoolSchema = z
  .object({
    name,
    /** What one node offers to pods. */
    allocatable: resourcesSchema,
    /** Per-node overhead of daemon sets. */
    daemonOverhead: resourcesSchema.default({ cpu: 0.1, memoryMiB: 128 }),
    /** Node created -> Ready, used until enough measured samples exist. */
    provisioning: duration.default('210s'),
    minNodes: z.number().int().min(0).default(0),
    maxNodes: z.number().int().min(1),
    /** Node-level hardware metrics (utilisation 0..1 across the pool), forecast like load. */
    cpu: metricRefSchema.optional(),
    memory: metricRefSchema.optional(),
    driver: nodePoolDriverSchema.default({ type: 'simulated' }),
    /** Node labels that select this pool's nodes (Kubernetes modes); default depends on the driver (src/kube/node-pools.ts). */
    nodeSelector: z.record(z.string(), z.string()).optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.minNodes > p.maxNodes) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['minNodes'], message: `minNodes (${p.minNodes}) is above maxNodes (${p.maxNodes})` });
  });

export const influxSchema = z
  .object({
    url: z.string().url().default('http://127.0.0.1:18086'),
    /** v1: InfluxQL + /write (InfluxDB 1.x, 2.x compat, 3.x); v2: Flux + /api/v2 (InfluxDB 2.x). */
    api: z.enum(['v1', 'v2']).default('v1'),
    database: z.string().min(1).default('prescale'),
    username: z.string().optional(),
    password: z.string().optional(),
    /** v2 only. */
    org: z.string().optional(),
    bucket: z.string().optional(),
    token: z.string().optional(),
    timeout: positiveDuration.default('10s'),
  })
  .strict();

export const scheduleSchema = z
  .object({
    /** How often each target's models are retrained. */
    train: positiveDuration.default('6h'),
    /**
     * How often each target's forecast is refreshed. Every minute: each run conditions on the samples of
     * the step still filling up (jobs/processors/forecast.ts), so the next step is forecast from fresh data.
     */
    forecast: positiveDuration.default('1m'),
    /**
     * Planning and applying. Every 15 s, like the reactive loop: pods are asked for one pod start-up before
     * the step that needs them, and given back as soon as live load shows the step did not (a planning
     * interval is also time held early or late).
     */
    plan: positiveDuration.default('15s'),
    /** The reactive fast loop. */
    reactive: positiveDuration.default('15s'),
    /** Collecting pod and node metrics from metrics.k8s.io. */
    collect: positiveDuration.default('30s'),
    /** Scoring each target's forecasts as issued one pod lead ahead against actual load (live accuracy). */
    accuracy: positiveDuration.default('5m'),
  })
  .strict();

/** Default time budget of one target's LSTM training (the deep job, jobs/processors/train-deep.ts). */
export const DEFAULT_DEEP_BUDGET = '60s';

export const forecastingSchema = z
  .object({
    /**
     * LSTM training (a job of its own after each Holt-Winters training; the champion is then chosen again among
     * Holt-Winters, the LSTM and their combination). auto: targets with `model: auto` or `lstm` and enough
     * history, when TensorFlow.js loads; off: never; always: every target, even one whose `model` is hw or snaive.
     */
    deep: z.enum(['auto', 'off', 'always']).default('auto'),
    /** Wall-clock budget of one target's deep training; it stops there with what it has and says so. */
    deepBudget: positiveDuration.default(DEFAULT_DEEP_BUDGET),
  })
  .strict();

export const apiTokenSchema = z
  .object({
    /** Who holds the token; recorded as the author of calendar changes. */
    name: z.string().min(1),
    scopes: z.array(z.enum(['read', 'write'])).min(1),
    /** The token itself (prefer tokenFile or env for secrets), at least 16 characters. */
    token: z.string().min(16, 'a token needs at least 16 characters').optional(),
    /** A file holding the token (a mounted Secret); re-read when it changes. */
    tokenFile: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    if ((t.token === undefined) === (t.tokenFile === undefined)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['token'], message: 'set exactly one of token and tokenFile' });
  });

export const apiSchema = z
  .object({
    /** Bearer tokens with read/write scopes; none = the API is open (local use, the demo). */
    tokens: z.array(apiTokenSchema).default([]),
    /** Whether /healthz, /readyz and /metrics need a read token too (default open, for probes and Prometheus). */
    protectOperational: z.boolean().default(false),
    /** Largest accepted request body, bytes. */
    bodyLimitBytes: z.number().int().min(1024).max(10_485_760).default(65_536),
    /** Writes allowed per client address and minute. */
    writesPerMinute: z.number().int().min(1).default(60),
  })
  .strict();

/** The external metrics API (external.metrics.k8s.io/v1beta1) on its own HTTPS listener; src/external-metrics/. */
export const externalMetricsSchema = z
  .object({
    /** Serve it when the api role runs. */
    enabled: z.boolean().default(true),
    /** Listen address; in a pod use 0.0.0.0 so the Service (and so the aggregator) reaches it. */
    host: z.string().default('127.0.0.1'),
    /** HTTPS port; 0 picks a free one (tests). */
    port: z.number().int().min(0).max(65535).default(8443),
    /** Serving certificate and key (PEM files); without them a self-signed sha256 pair is generated at start. */
    certFile: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
    /**
     * The front-proxy (request-header) CA bundle that signs kube-apiserver's proxy client certificate. Absent
     * and kubernetes.mode is not simulated: read from ConfigMap kube-system/extension-apiserver-authentication.
     */
    requestHeaderCAFile: z.string().min(1).optional(),
    /** Common names a front-proxy certificate may carry; empty = any certificate the CA signed. */
    requestHeaderAllowedNames: z.array(z.string().min(1)).default([]),
    /** Headers that carry the user and groups from a verified front proxy (the ConfigMap's lists win in cluster). */
    requestHeaderUsernameHeaders: z.array(z.string().min(1)).min(1).default(['X-Remote-User']),
    requestHeaderGroupHeaders: z.array(z.string().min(1)).default(['X-Remote-Group']),
    /** Bearer tokens for local use (kubectl --token, curl); need the read scope. */
    tokens: z.array(apiTokenSchema).default([]),
    /** How often the request-header CA (file or ConfigMap) is re-read, so a rotated CA applies without a restart; ms. */
    refreshMs: z.number().int().min(1000).default(300_000),
    /** A published plan older than this is not served (the HPA holds); default three plan periods. */
    staleAfter: positiveDuration.optional(),
    /**
     * The tolerance of the HPAs that read prescale-planned-replicas (Kubernetes' default is 0.1). Above 0,
     * Prescale publishes a value that still crosses it for a one-replica step (hpa-tolerance.ts); 0 publishes
     * the plan as is, for HPAs with behavior.scaleUp/scaleDown.tolerance: 0 (HPAConfigurableTolerance).
     */
    hpaTolerance: z.number().min(0).max(0.5).default(0.1),
  })
  .strict()
  .superRefine((e, ctx) => {
    if ((e.certFile === undefined) !== (e.keyFile === undefined)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['certFile'], message: 'set both certFile and keyFile, or neither (a self-signed pair is generated)' });
  });

export const configSchema = z
  .object({
    influx: influxSchema.default({}),
    redis: redisSchema.default({}),
    http: z.object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(8080) }).strict().default({}),
    api: apiSchema.default({}),
    externalMetrics: externalMetricsSchema.default({}),
    kubernetes: z
      .object({
        /** simulated: the built-in cluster; kubeconfig / in-cluster: a real API server. */
        mode: z.enum(['simulated', 'kubeconfig', 'in-cluster']).default('simulated'),
        kubeconfig: z.string().optional(),
        leaseName: z.string().default('prescale-leader'),
        leaseNamespace: z.string().default('default'),
        /**
         * Plan work split by target over this many shards, each with its own plan queue and Lease
         * (`<leaseName>-<k>`), so several processes plan at once, one actor per target (src/kube/plan-shards.ts).
         * 1: one Lease named leaseName, one planner.
         */
        shards: z.number().int().min(1).max(64).default(1),
        /** Followers take over after seeing no renewal for this long; whole seconds (the Lease stores seconds). */
        leaseDuration: duration.default('15s'),
        /** The leader stops applying this long after its last renewal started; below leaseDuration (default 2/3 of it). */
        renewDeadline: duration.optional(),
        /** Time between acquire/renew attempts; below the renew deadline. */
        retryPeriod: duration.default('2s'),
        /**
         * One API request's time limit (actuator, metrics collector, lead times): a request without an answer by
         * then is aborted and retried as of unknown outcome (a scale is read back before it is sent again).
         */
        requestTimeout: positiveDuration.default('10s'),
      })
      .strict()
      .superRefine((k, ctx) => {
        if (k.leaseDuration < 1000 || k.leaseDuration % 1000 !== 0) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['leaseDuration'], message: `expected whole seconds of at least 1s, got ${k.leaseDuration} ms` });
        const renewDeadline = k.renewDeadline ?? Math.floor((k.leaseDuration * 2) / 3);
        if (renewDeadline >= k.leaseDuration) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['renewDeadline'], message: `must be shorter than leaseDuration (${k.leaseDuration / 1000}s): a leader must stop acting before others may take over` });
        if (k.retryPeriod >= renewDeadline) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['retryPeriod'], message: `must be shorter than the renew deadline (${renewDeadline} ms), or the leader cannot renew in time` });
      })
      .default({}),
    /** Grid step of the load series the forecasters learn from. */
    step: positiveDuration.default('5m'),
    /** How much history training reads. */
    history: positiveDuration.default('28d'),
    /** How far ahead forecasts reach. */
    horizon: positiveDuration.default('1d'),
    schedule: scheduleSchema.default({}),
    forecasting: forecastingSchema.default({}),
    targets: z.array(targetSchema).min(1, 'expected at least one target'),
    nodePools: z.array(nodePoolSchema).default([]),
  })
  .strict()
  .superRefine((c, ctx) => {
    const pools = new Set(c.nodePools.map((p) => p.name));
    const seen = new Set<string>();
    c.targets.forEach((t, i) => {
      const id = `${t.namespace}/${t.name}`;
      if (seen.has(id)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['targets', i, 'name'], message: `duplicate target ${id}` });
      seen.add(id);
      if (t.nodePool && !pools.has(t.nodePool)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['targets', i, 'nodePool'], message: `unknown node pool "${t.nodePool}"; defined: ${[...pools].join(', ') || 'none'}` });
      if (t.nodePool && !t.podRequests) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['targets', i, 'podRequests'], message: 'required when nodePool is set (pods are packed onto nodes by their requests)' });
    });
  });

export type PrescaleConfig = z.output<typeof configSchema>;
export type TargetConfig = z.output<typeof targetSchema>;
export type NodePoolConfig = z.output<typeof nodePoolSchema>;
export type MetricRef = z.output<typeof metricRefSchema>;
export type ForecastingConfig = z.output<typeof forecastingSchema>;
export type InfluxConfig = z.output<typeof influxSchema>;
export type ExternalMetricsConfig = z.output<typeof externalMetricsSchema>;
