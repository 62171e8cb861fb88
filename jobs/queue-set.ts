import { Queue, QueueEvents, type ConnectionOptions } from 'bullmq';
import { DEFAULT_JOB_OPTIONS, QUEUE_OF, jobId, perQueue, type JobName, type QueueName } from './queues.js';

/** The four queues, created once per process, with helpers to add jobs idempotently. */
export class QueueSet {
  readonly queues: Record<QueueName, Queue>;

  constructor(
    private readonly connection: ConnectionOptions,
    readonly prefix: string,
  ) {
    this.queues = perQueue((name) => new Queue(name, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS }));
  }

  queueOf(name: JobName): Queue {
    return this.queues[QUEUE_OF[name]];
  }

  /** Adds a job whose id derives from its payload, so adding it twice queues it once. */
  add(name: JobName, data: Record<string, unknown> & { at?: number }) {
    return this.queueOf(name).add(name, data, { jobId: jobId(name, data) });
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
    await Promise.all(Object.values(this.queues).map((q) => q.close()));
  }

  /** Removes every job and scheduler of these queues (tests and demo resets only). */
  async obliterate(): Promise<void> {
    await Promise.all(Object.values(this.queues).map((q) => q.obliterate({ force: true })));
  }
}
