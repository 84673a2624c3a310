import type { LoadedConfig } from '../config/config.js';
import { routedService } from '../config/schema.js';
import type { BackendState, ReplicaInfo } from './backend.js';

/** The replicas of a release that the router sends traffic to (the routed service's). */
export function routedReplicas(loaded: LoadedConfig, state: BackendState, release: string): ReplicaInfo[] {
  const routed = routedService(loaded.config).name;
  return (state.releases.find((r) => r.id === release)?.replicas ?? []).filter((r) => r.service === routed && r.url);
}

export const metricsUrlOf = (replica: ReplicaInfo) => replica.metricsUrl ?? `${replica.url}/metrics`;
