/** What `slipway doctor` can find wrong, each a reason the service would not run under Slipway. */
export type FindingKind =
  | 'build-failed'
  | 'release-incomplete'
  | 'database'
  | 'crashed'
  | 'never-ready'
  | 'liveness-failed'
  | 'wrong-port'
  | 'not-on-loopback'
  | 'probe-path'
  | 'smoke-failed'
  | 'left-running';

export interface Finding {
  kind: FindingKind;
  /** One sentence a newcomer understands, e.g. "it listens on port 3000, not on the port Slipway gave it in PORT". */
  title: string;
  /** Evidence: the service's last output lines, the answers it gave. */
  detail: string[];
  /** What to change, and where. */
  fix: string;
}

/** What the service is doing while Slipway waits for it, for a progress line. */
export interface DoctorProgress {
  step: 'build' | 'release' | 'database' | 'start' | 'wait' | 'checks' | 'stop';
  message: string;
  /** Since the service was started (wait only). */
  elapsedMs?: number;
}
