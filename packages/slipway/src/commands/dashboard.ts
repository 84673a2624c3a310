import type { LoadedConfig } from '../config/config.js';
import { EXIT } from '../exit-codes.js';
import { ControlClient, ControlUnavailableError } from '../local/control.js';
import { runningInstance } from '../local/up.js';
import type { OutputOptions } from './release.js';

/** `slipway dashboard`: a one-time sign-in link to the release dashboard of the running `slipway up`. */
export async function dashboardCommand(loaded: LoadedConfig, opts: OutputOptions): Promise<number> {
  if (!runningInstance(loaded.stateDir))
    throw new ControlUnavailableError(`slipway up is not running for ${loaded.stateDir}; start it first`);
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
