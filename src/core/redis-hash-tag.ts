/**
 * Redis Cluster hash tags for Prescale's key prefix. A Cluster routes a key by the hash of its hash tag (the
 * text between the first "{" and the next "}", when not empty) or else of the whole key. Commands touching
 * several keys (MULTI, Lua scripts, pipelines, MGET) and every BullMQ queue need their keys in one slot, so on
 * a Cluster every Prescale key starts with the prefix wrapped in braces: "prescale" becomes "{prescale}", and
 * "{prescale}:calendar", "{prescale}:prescale-plan:wait" ... all share one slot. Left out: spreading Prescale's
 * keys over several slots (a Cluster then brings failover and room for other tenants, not more write
 * throughput for one Prescale installation).
 */

/** The hash tag Redis Cluster would use for `key`, or null when the whole key is hashed. */
export function hashTagOf(key: string): string | null {
  const open = key.indexOf('{');
  if (open < 0) return null;
  const close = key.indexOf('}', open + 1);
  if (close < 0 || close === open + 1) return null;
  return key.slice(open + 1, close);
}

/** `prefix` when it carries a hash tag already (a user who chose "{acme}-prescale"), else "{prefix}". */
export function hashTagged(prefix: string): string {
  if (prefix === '') throw new TypeError('an empty key prefix cannot be hash-tagged');
  return hashTagOf(prefix) === null ? `{${prefix}}` : prefix;
}

/** The prefix a store must use on this client: hash-tagged on a Cluster, unchanged on one Redis (key layout kept). */
export function clusterSafePrefix(client: { isCluster: boolean }, prefix: string): string {
  return client.isCluster ? hashTagged(prefix) : prefix;
}
