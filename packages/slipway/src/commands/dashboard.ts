import type { LoadedConfig } from '../config/config.js';
import { EXIT } from '../exit-codes.js';
import { ControlClient } from '../local/control.js';
import { requireRunningInstance } from '../local/up.js';
import type { OutputOptions } from './release.js';

/** `slipway dashboard`: a one-time sign-in link to the release dashboard of the running `slipway up`. */
export async function dashboardCommand(loaded: LoadedConfig, opts: OutputOptions): Promise<number> {
  requireRunningInstance(loaded.stateDir);
  const client = new ControlClient(loaded.stateDir);
  try {
    const link = await client.dashboardSignIn();
    process.stdout.write(
      opts.json
        ? `${JSON.stringify(link)}\n`
        : `${link.url}\n  open it once to sign in (it expires at ${link.expiresAt.slice(11, 19)} UTC); the dashboard is ${link.dashboardUrl}\n`,
    );
    return EXIT.ok;
  } finally {
    await client.close();
  }
}
