import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadedConfig } from '../config/config.js';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));

/**
 * A systemd unit that runs `slipway up` as a production service. `KillMode=process`: on a restart after a crash
 * systemd leaves the router and the replicas alone (the next `slipway up` adopts them, so users are served
 * throughout); on `systemctl stop` slipway itself drains and stops them, within TimeoutStopSec.
 */
export function systemdUnit(loaded: LoadedConfig, user = os.userInfo().username): string {
  const { config } = loaded;
  const stopSeconds = Math.ceil((config.timeouts.drain * 2 + config.timeouts.stop) / 1000) + 30;
  const services = Object.keys(config.services).join(', ');
  return `# ${path.basename(loaded.file)}: ${services}, released by Slipway.
# Install: save as /etc/systemd/system/slipway.service, then systemctl daemon-reload && systemctl enable --now slipway
[Unit]
Description=Slipway: ${services} (slipway up)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=${user}
WorkingDirectory=${path.dirname(loaded.file)}
ExecStart=${process.execPath} ${CLI} --config ${loaded.file} --state-dir ${loaded.stateDir} up --json
# Ctrl-C semantics: slipway drains the router and the releases, then stops the database.
KillSignal=SIGTERM
# Only slipway up itself is signalled: after a crash, the router and the replicas keep serving and the restarted
# slipway up adopts them; on a stop, slipway up stops them itself.
KillMode=process
TimeoutStopSec=${stopSeconds}
Restart=always
RestartSec=1
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
`;
}
