import { Queue, QueueEvents, type ConnectionOptions } from 'bullmq';
import { shardOf } from '../src/kube/plan-shards.js';
import { DEFAULT_JOB_OPTIONS, QUEUE_OF, jobId, perQueue, planQueueName, type JobName, type QueueName } from './queues.js';

/**
 * The queues, created once per process, with helpers to add jobs idempotently. With `planShards` > 1 (config
 * kubernetes.shards), plan and pool ticks go to their shard's plan queue (src/kube/plan-shards.ts).
 */
export class QueueSet {
  readonly queues: Record<QueueName, Queue>;
  /** Shard k's plan queue at k; empty with one shard (the plan queue in `queues` is the only one). */
  readonly planShardQueues: Queue[];

  constructor(
    private readonly connection: ConnectionOptions,
    readonly prefix: string,
    readonly planShards = 1,
  ) {
    const make = (name: string) => new Queue(name, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
    this.queues = perQueue(make);
    this.planShardQueues = planShards > 1 ? Array.from({ length: planShards }, (_, k) => make(planQueueName(k, planShards))) : [];
  }

  /** Every queue, shard queues included. */
  all(): Queue[] {
    return [...Object.values(this.queues), ...this.planShardQueues];
  }

  /** The queue of a job; plan and pool ticks by their subject's shard (`data` needed then, with more than one shard). */
  queueOf(name: JobName, data?: Readonly<Record<string, unknown>>): Queue {
    if ((name === 'plan' || name === 'plan-pool') && this.planShards > 1) {
      if (typeof data?.target === 'string') return this.planShardQueues[shardOf({ target: data.target }, this.planShards)]!;
      if (typeof data?.pool === 'string') return this.planShardQueues[shardOf({ pool: data.pool }, this.planShards)]!;
      throw new Error(`${name}: a plan tick needs its target or pool to find its shard's queue`);
    }
    return this.queues[QUEUE_OF[name]];
  }

  /** Adds a job whose id derives from its payload, so adding it twice queues it once. */
  add(name: JobName, data: Record<string, unknown> & { at?: number }) {
    return this.queueOf(name, data).add(name, data, { jobId: jobId(name, data) });
  }

  /**
   * QueueEvents for waiting on job completion (replays and tests), listening already: QueueEvents only sees events
   * after it has connected, so a job added before that may finish unseen and its wait would time out.
   * Each reads its stream from the stream's last entry as of now, not from "$": the first XREAD is sent some
   * time after waitUntilReady, and a job finishing in that gap went unseen (on a Redis Cluster, 2 runs in 5).
   */
  async events(): Promise<Record<QueueName, QueueEvents>> {
    const lastIds = await Promise.all(
      Object.values(this.queues).map(async (queue) => {
        // BullMQ's client forwards every ioredis command; its own interface just does not declare XREVRANGE.
        const client = (await queue.client) as unknown as { xrevrange(key: string, end: string, start: string, count: 'COUNT', n: number): Promise<[string, string[]][]> };
        const [last] = await client.xrevrange(queue.keys.events!, '+', '-', 'COUNT', 1);
        return [queue.name, last?.[0] ?? '0-0'] as const;
      }),
    );
    const from = new Map<string, string>(lastIds);
    const events = perQueue((name) => new QueueEvents(name, { connection: this.connection, prefix: this.prefix, lastEventId: from.get(name)! }));
    await Promise.all(Object.values(events).map((e) => e.waitUntilReady()));
    return events;
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((q) => q.close()));
  }

  /** Removes every job and scheduler of these queues (tests and demo resets only). */
  async obliterate(): Promise<void> {
    await Promise.all(this.all().map((q) => q.obliterate({ force: true })));
  }
}
