/**
 * What the demo's summary reports, measured the same way as `prescale simulate`: per minute, whether demand
 * exceeded what Ready replicas serve (an under-provisioned minute), and the replicas asked for (Ready or
 * starting) integrated into replica-hours.
 */
export interface ProvisioningTally {
  minutes: number;
  underProvisionedMinutes: number;
  replicaHours: number;
  /** Sum over minutes of served load and of Ready capacity, for slack = 1 - served / capacity. */
  served: number;
  capacity: number;
}

export function emptyTally(): ProvisioningTally {
  return { minutes: 0, underProvisionedMinutes: 0, replicaHours: 0, served: 0, capacity: 0 };
}

/** Adds one minute: demand in load units, replicas asked for and Ready, capacity per Ready replica. */
export function tallyMinute(tally: ProvisioningTally, demand: number, desiredReplicas: number, readyReplicas: number, capacityPerReplica: number): void {
  const capacity = readyReplicas * capacityPerReplica;
  tally.minutes += 1;
  if (demand > capacity) tally.underProvisionedMinutes += 1;
  tally.replicaHours += desiredReplicas / 60;
  tally.served += Math.min(demand, capacity);
  tally.capacity += capacity;
}

export function slack(tally: ProvisioningTally): number {
  return tally.capacity > 0 ? 1 - tally.served / tally.capacity : 0;
}
