/**
 * Leader election on a coordination.k8s.io/v1 Lease, the way client-go's leaderelection does it, so exactly
 * one Prescale replica applies scaling while every replica serves the API.
 *
 * - Acquire: create the Lease (409 AlreadyExists = someone else was faster), or take it over when its holder
 *   is empty or has not renewed it for leaseDurationSeconds *as observed by this replica's own clock* (the
 *   time we first saw the current record), so clock skew between nodes cannot steal a live lease.
 * - Renew: replace the Lease with the resourceVersion we read (optimistic concurrency: a 409 means another
 *   replica wrote first, and we are not the leader).
 * - A leader that cannot renew for renewDeadline stops acting (`isLeader()` turns false) before the lease
 *   can expire for the others: renewDeadline < leaseDuration. Measured on a monotonic clock from the start of
 *   the last successful renewal (lease-fence.ts says why), so a process that was paused knows at once.
 * - `fence()` before every apply: the local bound, then the Lease read back (holder and term) — see
 *   lease-fence.ts; src/cluster/fenced-cluster.ts calls it.
 * - leaseTransitions grows on every change of holder (as client-go does), so it names the leader's term.
 * - Release on shutdown: holder cleared, so a successor takes over at once.
 * Times are MicroTime (RFC3339 with 6 fractional digits), which client-node writes for V1MicroTime values.
 */
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { wallClock, type Clock } from '../core/clock.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { describeFailure, isConflict, isNotFound } from './kube-request.js';
import { leaseFence, localFence, type FenceVerdict, type LocalLeadership } from './lease-fence.js';
import { toEpochMs } from './workloads.js';

export interface LeaderElectorOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  /** Lease name (config kubernetes.leaseName). */
  name: string;
  /** Unique per replica: the pod name, or hostname + pid. */
  identity: string;
  /** How long others wait after the last renewal they observed before taking over, seconds (default 15). */
  leaseDurationSeconds?: number;
  /** A leader that has not renewed for this long stops acting, ms (default 2/3 of the lease duration). */
  renewDeadlineMs?: number;
  /** Time between attempts in `run`, ms (default 2000). */
  retryPeriodMs?: number;
  clock?: Clock;
  /**
   * Monotonic ms for lease ages (default performance.now; with an injected `clock`, that clock, so tests that
   * move time move both).
   */
  monotonic?: () => number;
  logger?: Logger;
}

export interface LeadershipCallbacks {
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
}

export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly leaseDurationSeconds: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly monotonic: () => number;
  /** The record we last saw (holder and renewTime) and when, by our monotonic clock. */
  private observed?: { key: string; at: number };
  private leading = false;
  /** Monotonic start of the last successful acquire/renew. */
  private lastRenewAt = -Infinity;
  /** leaseTransitions as we wrote it when we acquired the Lease. */
  private term: number | null = null;
  private stopped = false;
  private loop?: Promise<void>;
  private inFlight?: Promise<boolean>;

  constructor(private readonly options: LeaderElectorOptions) {
    this.api = options.kubeConfig.makeApiClient(CoordinationV1Api);
    this.clock = options.clock ?? wallClock;
    const injected = options.clock;
    this.monotonic = options.monotonic ?? (injected ? () => injected.now() : () => performance.now());
    this.logger = options.logger ?? silentLogger;
    this.leaseDurationSeconds = options.leaseDurationSeconds ?? 15;
    this.renewDeadlineMs = options.renewDeadlineMs ?? Math.floor((this.leaseDurationSeconds * 1000 * 2) / 3);
    this.retryPeriodMs = options.retryPeriodMs ?? 2000;
    if (this.renewDeadlineMs >= this.leaseDurationSeconds * 1000) throw new Error('renewDeadlineMs must be shorter than the lease duration');
  }

  get identity(): string {
    return this.options.identity;
  }

  /** True while this replica holds the lease and renewed it within the renew deadline (monotonic clock, no I/O). */
  isLeader(): boolean {
    return localFence(this.local(), this.monotonic()).held;
  }

  private local(): LocalLeadership {
    return { identity: this.options.identity, leading: this.leading, lastRenewStartedAt: this.lastRenewAt, term: this.term, renewDeadlineMs: this.renewDeadlineMs };
  }

  /**
   * The check before an apply: the local bound, then the Lease read back (one GET, no retries: a fence that
   * cannot see the Lease says no) and the local bound again at the time the answer arrived. Never throws.
   */
  async fence(): Promise<FenceVerdict> {
    const before = localFence(this.local(), this.monotonic());
    if (!before.held) return before;
    const { namespace, name } = this.options;
    let lease: V1Lease | null;
    try {
      lease = await this.api.readNamespacedLease({ namespace, name });
    } catch (error) {
      if (!isNotFound(error)) return { held: false, reason: `the lease could not be read: ${describeFailure(error)?.message ?? (error as Error).message}` };
      lease = null;
    }
    return leaseFence(this.local(), lease ? (lease.spec ?? {}) : null, this.monotonic());
  }

  /** One attempt to acquire or renew; resolves to isLeader() afterwards. Never throws. */
  tryAcquireOrRenew(): Promise<boolean> {
    this.inFlight = this.attempt().catch((error: unknown) => {
      const failure = describeFailure(error);
      this.logger.warn({ lease: this.leaseId(), status: failure?.code, err: failure?.message ?? (error as Error).message }, 'lease acquire/renew failed');
      return this.isLeader();
    });
    return this.inFlight;
  }

  private leaseId(): string {
    return `${this.options.namespace}/${this.options.name}`;
  }

  private async attempt(): Promise<boolean> {
    const { namespace, name, identity } = this.options;
    const now = this.clock.now();
    const started = this.monotonic();
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ namespace, name });
    } catch (error) {
      if (!isNotFound(error)) throw error;
      try {
        await this.api.createNamespacedLease({
          namespace,
          body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec: { holderIdentity: identity, leaseDurationSeconds: this.leaseDurationSeconds, acquireTime: new V1MicroTime(now), renewTime: new V1MicroTime(now), leaseTransitions: 0 } },
        });
      } catch (createError) {
        if (isConflict(createError)) return this.lost('another replica created the lease first');
        throw createError;
      }
      return this.won(started, `${identity}|${now}`, true, 0);
    }

    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const key = `${holder}|${toEpochMs(spec.renewTime as Date | string | undefined) ?? ''}`;
    if (this.observed?.key !== key) this.observed = { key, at: started };
    const durationMs = (spec.leaseDurationSeconds ?? this.leaseDurationSeconds) * 1000;
    if (holder && holder !== identity && started < this.observed.at + durationMs) return this.lost(`held by ${holder}`);

    const takingOver = holder !== identity;
    const acquiredAt = takingOver ? now : (toEpochMs(spec.acquireTime as Date | string | undefined) ?? now);
    // Every change of holder starts a new term, also after a release (holder ""), as client-go counts.
    const transitions = (spec.leaseTransitions ?? 0) + (takingOver ? 1 : 0);
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace, resourceVersion: lease.metadata?.resourceVersion },
      spec: {
        holderIdentity: identity,
        leaseDurationSeconds: this.leaseDurationSeconds,
        acquireTime: new V1MicroTime(acquiredAt),
        renewTime: new V1MicroTime(now),
        leaseTransitions: transitions,
      },
    };
    try {
      await this.api.replaceNamespacedLease({ namespace, name, body });
    } catch (error) {
      if (isConflict(error)) return this.lost('another replica updated the lease first');
      throw error;
    }
    return this.won(started, `${identity}|${now}`, takingOver, transitions);
  }

  /** `started`: monotonic start of the attempt that succeeded. */
  private won(started: number, key: string, acquired: boolean, term: number): boolean {
    if (acquired || !this.leading) this.logger.info({ lease: this.leaseId(), identity: this.options.identity, term }, 'became leader');
    this.leading = true;
    this.term = term;
    this.lastRenewAt = started;
    this.observed = { key, at: started };
    return true;
  }

  private lost(why: string): boolean {
    if (this.leading) this.logger.warn({ lease: this.leaseId(), why }, 'lost leadership');
    this.leading = false;
    this.term = null;
    return false;
  }

  /** Gives the lease up (holder cleared) if this replica holds it, so a successor need not wait. */
  async release(): Promise<void> {
    await this.inFlight;
    if (!this.leading) return;
    this.leading = false;
    this.term = null;
    const { namespace, name, identity } = this.options;
    try {
      const lease = await this.api.readNamespacedLease({ namespace, name });
      if (lease.spec?.holderIdentity !== identity) return;
      const now = this.clock.now();
      await this.api.replaceNamespacedLease({
        namespace,
        name,
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace, resourceVersion: lease.metadata?.resourceVersion },
          spec: { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: new V1MicroTime(now), renewTime: new V1MicroTime(now), leaseTransitions: lease.spec?.leaseTransitions ?? 0 },
        },
      });
      this.logger.info({ lease: this.leaseId(), identity }, 'released leadership');
    } catch (error) {
      // The lease expires on its own; a failed release only delays the successor.
      this.logger.warn({ lease: this.leaseId(), err: (error as Error).message }, 'lease release failed');
    }
  }

  /**
   * Tries every retryPeriod until stop(); calls back on each change of leadership. `delayMs`: wait this long
   * before the first attempt (a plan shard this process does not prefer: src/kube/plan-shards.ts).
   */
  start(callbacks: LeadershipCallbacks = {}, options: { delayMs?: number } = {}): void {
    if (this.loop) return;
    this.stopped = false;
    this.loop = (async () => {
      let was = false;
      // In retry periods, so a stop() meanwhile is not held up by the whole delay.
      const delayEnd = this.monotonic() + (options.delayMs ?? 0);
      while (!this.stopped && this.monotonic() < delayEnd) await this.clock.sleep(Math.min(this.retryPeriodMs, delayEnd - this.monotonic()));
      while (!this.stopped) {
        await this.tryAcquireOrRenew();
        const is = this.isLeader();
        if (is && !was) callbacks.onStartedLeading?.();
        if (!is && was) callbacks.onStoppedLeading?.();
        was = is;
        if (!this.stopped) await this.clock.sleep(this.retryPeriodMs);
      }
      if (was) callbacks.onStoppedLeading?.();
    })();
  }

  /** Stops the loop and releases the lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.release();
    await this.loop;
    this.loop = undefined;
  }
}
