import { z } from 'zod';
import type { RuntimeConfig } from './config.js';

export interface FaultState {
  enabled: boolean;
  /** Probability (0..1) that an app request fails with an injected 500. */
  errorRate: number;
  /** Delay added to every app request. */
  latencyMs: number;
  /** Readiness reports failure (and says why). */
  neverReady: boolean;
}

export type FaultUpdate = Partial<Omit<FaultState, 'enabled'>>;

export const faultUpdateSchema = z
  .object({
    errorRate: z.number().min(0).max(1),
    latencyMs: z.number().int().min(0).max(60_000),
    neverReady: z.boolean(),
  })
  .partial()
  .strict();

export type FaultConfig = Pick<
  RuntimeConfig,
  'FAULTS_ENABLED' | 'FAULT_ERROR_RATE' | 'FAULT_LATENCY_MS' | 'FAULT_CRASH_ON_START' | 'FAULT_NEVER_READY'
>;

export class FaultsDisabledError extends Error {
  override readonly name = 'FaultsDisabledError';

  constructor() {
    super('fault injection is disabled (FAULTS_ENABLED is not set)');
  }
}

/**
 * Deliberate failures for exercising alerts, retries and rollouts (after podinfo's
 * --random-error / --random-delay / readiness toggles). Nothing is injected unless
 * FAULTS_ENABLED is set, whatever the other FAULT_* variables say.
 */
export class Faults {
  readonly crashOnStart: boolean;
  /** FAULT_* variables that are set but have no effect because faults are disabled. */
  readonly ignoredSettings: readonly string[];
  #state: FaultState;

  constructor(config: FaultConfig) {
    const enabled = config.FAULTS_ENABLED;
    this.#state = {
      enabled,
      errorRate: enabled ? config.FAULT_ERROR_RATE : 0,
      latencyMs: enabled ? config.FAULT_LATENCY_MS : 0,
      neverReady: enabled && config.FAULT_NEVER_READY,
    };
    this.crashOnStart = enabled && config.FAULT_CRASH_ON_START;
    this.ignoredSettings = enabled ? [] : activeFaultVariables(config);
  }

  get state(): FaultState {
    return { ...this.#state };
  }

  get enabled(): boolean {
    return this.#state.enabled;
  }

  get neverReady(): boolean {
    return this.#state.neverReady;
  }

  get latencyMs(): number {
    return this.#state.latencyMs;
  }

  /**
   * Changes fault settings at run time. Throws FaultsDisabledError when faults are not
   * enabled and a ZodError when `update` is invalid (unknown keys included).
   */
  update(update: unknown): FaultState {
    if (!this.#state.enabled) throw new FaultsDisabledError();
    const valid: FaultUpdate = faultUpdateSchema.parse(update);
    this.#state = { ...this.#state, ...valid };
    return this.state;
  }

  /** Draws whether this request gets an injected error. */
  shouldFail(random: () => number = Math.random): boolean {
    return this.#state.errorRate > 0 && random() < this.#state.errorRate;
  }
}

function activeFaultVariables(config: FaultConfig): string[] {
  const active: string[] = [];
  if (config.FAULT_ERROR_RATE > 0) active.push('FAULT_ERROR_RATE');
  if (config.FAULT_LATENCY_MS > 0) active.push('FAULT_LATENCY_MS');
  if (config.FAULT_CRASH_ON_START) active.push('FAULT_CRASH_ON_START');
  if (config.FAULT_NEVER_READY) active.push('FAULT_NEVER_READY');
  return active;
}
