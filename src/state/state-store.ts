import type { RedisClient } from '../core/redis.js';
import { clusterSafePrefix } from '../core/redis-hash-tag.js';
import type { TargetScalingState } from '../scaling/engine.js';
import type { NodePoolScalingState } from '../scaling/node-pool.js';
import type { ReactiveIntervention, SuggestedFloor } from '../scaling/learned-actions.js';
import type { HealingState } from '../scaling/self-healing.js';
import type { LiveAccuracy } from '../accuracy/live-accuracy.js';
import type { DeepTrainingStatus } from '../forecasting/deep-training.js';
import type { ErrorBudgetState } from '../scaling/error-budget.js';

/** Interventions kept per target (a few months of reactive scale-ups; older ones fall off). */
export const MAX_INTERVENTIONS = 2_000;

/** What the latest planning tick of a target asked of its node pool. */
export interface PlannedPods {
  /** Replicas the target needs within the node lead window. */
  replicasAhead: number;
  /** Epoch ms of the tick. */
  at: number;
}

/** What the service knows about a target's current model (written by the train job, read by everyone). */
export interface ModelInfo {
  target: string;
  /** Forecaster kind in use ("hw", "lstm", "snaive", "ensemble"). */
  kind: string;
  /** The fitted specification, e.g. "ets(A,Ad,A)[288]". */
  description: string;
  /** Model store version of the artefact. */
  version: number;
  trainedAt: number;
  /** Epoch ms of the last observation the model was trained on. */
  trainedUntil: number;
  /** Backtest scores of every candidate (MASE, sMAPE, coverage...), by kind. */
  scores: Record<string, Record<string, number>>;
  backtestMase?: number;
  naiveMase?: number;
  historyDays: number;
  requiredHistoryDays: number;
  /** Highest load in the training history: caps a forecast that explodes. */
  peakLoad?: number;
  notes: string[];
  /** The LSTM's training after this one (jobs/processors/train-deep.ts): queued, training, trained or skipped, and why. */
  deep?: DeepTrainingStatus;
}

/**
 * Which model the forecast job actually forecast with, and why (written by the forecast job each run): the
 * promoted version, an older one when it does not load, seasonal naive fitted on the spot when none loads,
 * or none at all (reactive only). Shown in /api/status beside ModelInfo, which says what was trained.
 */
export interface ModelInUse {
  target: string;
  /** `stored`: the promoted version; `previous`: an older stored version; `snaive`: fitted now; `reactive`: no forecast. */
  source: 'stored' | 'previous' | 'snaive' | 'reactive';
  /** Model store version when one was loaded. */
  version?: number;
  /** The model's description ("ets(A,Ad,A)[288]"), or "none". */
  description: string;
  /** Why this and not the promoted version (empty when it is the promoted version). */
  reason: string;
  /** Epoch ms of the forecast run that found this. */
  at: number;
}

/**
 * Shared per-target state, so any process (worker, scheduler, API replica) sees the same thing.
 * Left out: history (that lives in the metrics store) and locking (only the Lease holder writes scaling state).
 */
export interface StateStore {
  getScalingState(target: string): Promise<TargetScalingState | null>;
  setScalingState(target: string, state: TargetScalingState): Promise<void>;
  getModelInfo(target: string): Promise<ModelInfo | null>;
  setModelInfo(info: ModelInfo): Promise<void>;
  listModelInfo(): Promise<ModelInfo[]>;
  getModelInUse(target: string): Promise<ModelInUse | null>;
  setModelInUse(inUse: ModelInUse): Promise<void>;
  getPlannedPods(target: string): Promise<PlannedPods | null>;
  setPlannedPods(target: string, planned: PlannedPods): Promise<void>;
  getPoolState(pool: string): Promise<NodePoolScalingState | null>;
  setPoolState(pool: string, state: NodePoolScalingState): Promise<void>;
  getHealingState(target: string): Promise<HealingState | null>;
  setHealingState(target: string, state: HealingState): Promise<void>;
  /** Records a reactive scale-up (newest last); keeps the latest MAX_INTERVENTIONS per target. */
  addIntervention(intervention: ReactiveIntervention): Promise<void>;
  listInterventions(target: string): Promise<ReactiveIntervention[]>;
  /** Calendar floors learned from recurring interventions (replaced as a whole by each training). */
  getSuggestions(target: string): Promise<SuggestedFloor[]>;
  setSuggestions(target: string, suggestions: SuggestedFloor[]): Promise<void>;
  /** Live accuracy of a target's forecasts as issued one pod lead ahead (written by the accuracy job). */
  getLiveAccuracy(target: string): Promise<LiveAccuracy | null>;
  setLiveAccuracy(accuracy: LiveAccuracy): Promise<void>;
  listLiveAccuracy(): Promise<LiveAccuracy[]>;
  /** The error-budget controller's state (src/scaling/error-budget.ts), written by the plan job of the Lease holder. */
  getBudgetState(target: string): Promise<ErrorBudgetState | null>;
  setBudgetState(target: string, state: ErrorBudgetState): Promise<void>;
}

/** Both implementations keep JSON text, so the memory store catches what would not survive Redis. */
interface JsonHashes {
  get(hash: string, field: string): Promise<string | null>;
  set(hash: string, field: string, value: string): Promise<void>;
  values(hash: string): Promise<string[]>;
  /** Appends to a capped list (oldest dropped beyond `max`). */
  append(list: string, value: string, max: number): Promise<void>;
  range(list: string): Promise<string[]>;
}

function stateStoreOver(hashes: JsonHashes, prefix: string): StateStore {
  const scalingKey = `${prefix}:scaling`;
  const modelsKey = `${prefix}:models`;
  const plannedKey = `${prefix}:planned-pods`;
  const poolsKey = `${prefix}:pools`;
  const healingKey = `${prefix}:healing`;
  const suggestionsKey = `${prefix}:suggestions`;
  const accuracyKey = `${prefix}:live-accuracy`;
  const inUseKey = `${prefix}:model-in-use`;
  const budgetKey = `${prefix}:error-budget`;
  const interventionsKey = (target: string) => `${prefix}:interventions:${target}`;
  const read = async <T>(hash: string, field: string) => {
    const raw = await hashes.get(hash, field);
    return raw ? (JSON.parse(raw) as T) : null;
  };
  return {
    getScalingState: (target) => read<TargetScalingState>(scalingKey, target),
    setScalingState: (target, state) => hashes.set(scalingKey, target, JSON.stringify(state)),
    getModelInfo: (target) => read<ModelInfo>(modelsKey, target),
    setModelInfo: (info) => hashes.set(modelsKey, info.target, JSON.stringify(info)),
    listModelInfo: async () => (await hashes.values(modelsKey)).map((raw) => JSON.parse(raw) as ModelInfo),
    getModelInUse: (target) => read<ModelInUse>(inUseKey, target),
    setModelInUse: (inUse) => hashes.set(inUseKey, inUse.target, JSON.stringify(inUse)),
    getPlannedPods: (target) => read<PlannedPods>(plannedKey, target),
    setPlannedPods: (target, planned) => hashes.set(plannedKey, target, JSON.stringify(planned)),
    getPoolState: (pool) => read<NodePoolScalingState>(poolsKey, pool),
    setPoolState: (pool, state) => hashes.set(poolsKey, pool, JSON.stringify(state)),
    getHealingState: (target) => read<HealingState>(healingKey, target),
    setHealingState: (target, state) => hashes.set(healingKey, target, JSON.stringify(state)),
    addIntervention: (intervention) => hashes.append(interventionsKey(intervention.target), JSON.stringify(intervention), MAX_INTERVENTIONS),
    listInterventions: async (target) => (await hashes.range(interventionsKey(target))).map((raw) => JSON.parse(raw) as ReactiveIntervention),
    getSuggestions: async (target) => (await read<SuggestedFloor[]>(suggestionsKey, target)) ?? [],
    setSuggestions: (target, suggestions) => hashes.set(suggestionsKey, target, JSON.stringify(suggestions)),
    getLiveAccuracy: (target) => read<LiveAccuracy>(accuracyKey, target),
    setLiveAccuracy: (accuracy) => hashes.set(accuracyKey, accuracy.target, JSON.stringify(accuracy)),
    listLiveAccuracy: async () => (await hashes.values(accuracyKey)).map((raw) => JSON.parse(raw) as LiveAccuracy),
    getBudgetState: (target) => read<ErrorBudgetState>(budgetKey, target),
    setBudgetState: (target, state) => hashes.set(budgetKey, target, JSON.stringify(state)),
  };
}

export function createMemoryStateStore(prefix = 'prescale'): StateStore {
  const hashes = new Map<string, Map<string, string>>();
  const lists = new Map<string, string[]>();
  const hash = (name: string) => hashes.get(name) ?? hashes.set(name, new Map()).get(name)!;
  return stateStoreOver(
    {
      get: async (name, field) => hash(name).get(field) ?? null,
      set: async (name, field, value) => void hash(name).set(field, value),
      values: async (name) => [...hash(name).values()],
      append: async (name, value, max) => {
        const list = [...(lists.get(name) ?? []), value];
        lists.set(name, list.slice(-max));
      },
      range: async (name) => [...(lists.get(name) ?? [])],
    },
    prefix,
  );
}

/**
 * Redis hashes `<prefix>:scaling`, `:models`, `:model-in-use`, `:planned-pods`, `:pools`, `:live-accuracy`, `:error-budget`..., one JSON
 * value per target or pool; on a Cluster under `{prefix}`, one slot (so MULTI and pipelines over them work).
 */
export function createRedisStateStore(redis: RedisClient, prefix = 'prescale'): StateStore {
  return stateStoreOver(
    {
      get: (name, field) => redis.hget(name, field),
      set: async (name, field, value) => void (await redis.hset(name, field, value)),
      values: (name) => redis.hvals(name),
      append: async (name, value, max) => void (await redis.multi().rpush(name, value).ltrim(name, -max, -1).exec()),
      range: (name) => redis.lrange(name, 0, -1),
    },
    clusterSafePrefix(redis, prefix),
  );
}
