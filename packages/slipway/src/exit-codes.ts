import { CONFIG_ERROR_EXIT_CODE } from '@slipway/runtime';

/** Exit codes of every slipway command, for scripts. */
export const EXIT = {
  /** passed, promoted, done */
  ok: 0,
  /** a smoke check failed; a release was rolled back */
  failed: 1,
  /** a usage mistake, or a target that could not be reached */
  usage: 2,
  /** could not start: no `slipway up`, another deploy running, nothing to roll back to */
  blocked: 3,
  /** a bad slipway.config.ts */
  config: CONFIG_ERROR_EXIT_CODE,
} as const;
