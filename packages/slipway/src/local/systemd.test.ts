import { describe, expect, it } from 'vitest';
import { loadSlipwayConfig } from '../config/config.js';
import { systemdUnit } from './systemd.js';

describe('systemdUnit', () => {
  it('restarts slipway up whenever it exits, signals only it, and waits for two drains and a stop', async () => {
    const loaded = await loadSlipwayConfig(process.cwd());
    const unit = systemdUnit(loaded, 'streams');
    expect(unit).toMatch(/^Restart=always$/m);
    expect(unit).toMatch(/^KillMode=process$/m);
    expect(unit).toMatch(/^User=streams$/m);
    // 30 s drain twice, 15 s stop, 30 s to spare.
    expect(unit).toMatch(/^TimeoutStopSec=105$/m);
    expect(unit).toContain(`--config ${loaded.file} --state-dir ${loaded.stateDir} up --json`);
    expect(unit.match(/^ExecStart=(\S+) /m)?.[1]).toBe(process.execPath);
  });
});
