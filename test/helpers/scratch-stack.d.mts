import type { SlipwayConfig } from '@slipway/slipway';

export interface ScratchStack {
  /** The temporary folder (mode 755); remove it when done. */
  dir: string;
  /** `dir/source`: a copy of the repository's build.include, with node_modules linked. */
  source: string;
  /** `dir/state`. */
  stateDir: string;
  /** The repository's slipway.config.ts, as loaded. */
  repo: SlipwayConfig;
  /** Writes `dir/name`: the repository's config made to run from this folder, with `overrides` on top; answers its path. */
  writeConfig(name: string, overrides?: Record<string, unknown>): string;
}

/** A throw-away copy of the built tree in a new temporary folder named `prefix` + random characters. */
export function prepareScratchStack(root: string, prefix: string): Promise<ScratchStack>;
