#!/usr/bin/env node
// npm run bench:dr: backups and restore drills of the streams database under continuous writes, measured in one run:
// - a base backup of a database grown to BENCH_DR_MB megabytes (default 0: as streams starts): time, MB/s read,
//   compression ratio; then a restore of it alone into a new server: time, MB/s written;
// - BENCH_DRILLS drills (default 5) while a writer commits every 20 ms: RTO (restore start to the copy answering) and
//   RPO (commits the copy lacks, as if the database had been lost when the drill began), each and their median;
// with backup.archiveTimeout BENCH_ARCHIVE_TIMEOUT (default 1s). Nothing here is asserted: npm test proves behaviour.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { prepareScratchStack } from '../test/helpers/scratch-stack.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const cli = path.join(root, 'packages/slipway/dist/cli.js');
const MB = Number(process.env.BENCH_DR_MB ?? 0);
const DRILLS = Number(process.env.BENCH_DRILLS ?? 5);
const ARCHIVE_TIMEOUT = process.env.BENCH_ARCHIVE_TIMEOUT ?? '1s';

const { dir, stateDir, writeConfig, repo } = await prepareScratchStack(root, 'slipway-bench-dr-');
const configFile = writeConfig('slipway.config.ts', {
  backup: { ...repo.backup, archiveTimeout: ARCHIVE_TIMEOUT, schedule: { backup: false, drill: false }, metricsPort: false },
});

function slipway(args) {
  const child = spawn(process.execPath, [cli, '-c', configFile, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => out };
}

async function sql(url, text) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const s = (x) => (x === null ? '-' : `${x.toFixed(2)} s`);

const up = slipway(['up', '--no-build', '--json']);
try {
  for (let i = 0; !up.output().includes('"msg":"ready at '); i++) {
    if (i > 1200) throw new Error('slipway up did not get ready within 120 s');
    await sleep(100);
  }
  const { password, port } = JSON.parse(readFileSync(path.join(stateDir, 'postgres.json'), 'utf8'));
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/streams`;
  await sql(url, 'CREATE TABLE bench_writes (at timestamptz DEFAULT now()); CREATE TABLE bench_fill (id int, pad text)');
  if (MB > 0) {
    const fillStarted = Date.now();
    // About 1 KB a row of random hex digits (which gzip halves: no flattering compression ratio), in batches so no
    // single transaction holds it all.
    for (let done = 0; done < MB * 1000; done += 100_000)
      await sql(
        url,
        `INSERT INTO bench_fill SELECT n, (SELECT string_agg(md5(random()::text || n || i), '') FROM generate_series(1, 30) AS part(i))
           FROM generate_series(${done}, ${done + 99_999}) AS fill(n)`,
      );
    console.log(`filled ${MB} MB of rows in ${((Date.now() - fillStarted) / 1000).toFixed(1)} s`);
  }
  const backup = slipway(['backup', '--json']);
  await backup.exited;
  const b = JSON.parse(backup.output());
  console.log(
    `base backup: ${(b.bytes.original / 1e6).toFixed(1)} MB in ${b.seconds.toFixed(1)} s (${(b.bytes.original / 1e6 / b.seconds).toFixed(1)} MB/s), ` +
      `${(b.bytes.stored / 1e6).toFixed(1)} MB stored (${(b.bytes.original / b.bytes.stored).toFixed(1)}:1), ${b.files} files`,
  );

  // A restore of that backup alone (no WAL to replay past its end) into a second server: files checked and written.
  const restore = slipway(['restore', '--to', 'immediate', '--json']);
  for (let i = 0; !restore.output().includes('"target"'); i++) {
    if (i > 36_000) throw new Error('slipway restore did not finish within an hour');
    await sleep(100);
  }
  const r = JSON.parse(restore.output());
  restore.child.kill('SIGINT');
  await restore.exited;
  rmSync(r.dataDir, { recursive: true, force: true });
  console.log(
    `restore of that backup into a new server: ${r.seconds.toFixed(1)} s (${(b.bytes.original / 1e6 / r.seconds).toFixed(1)} MB/s of data written)`,
  );

  let writing = true;
  const writer = (async () => {
    while (writing) {
      await sql(url, 'INSERT INTO bench_writes DEFAULT VALUES');
      await sleep(20);
    }
  })();
  const rto = [];
  const rpo = [];
  // The archiver (a process per segment) falls behind while a drill restores and hashes beside it on the same
  // machine; each drill starts once it has caught up, so RPO is the steady state's, and the wait is printed.
  const position = (wal) => BigInt(`0x${wal.slice(8)}`);
  const archiveCaughtUp = async () => {
    const started = Date.now();
    for (;;) {
      const [r] = await sql(
        url,
        'SELECT pg_walfile_name(pg_current_wal_lsn()) AS current, last_archived_wal AS last FROM pg_stat_archiver',
      );
      if (r.last && position(r.last) >= position(r.current) - 1n) return (Date.now() - started) / 1000;
      await sleep(100);
    }
  };
  for (let i = 1; i <= DRILLS; i++) {
    await sleep(1500);
    const backlog = await archiveCaughtUp();
    if (backlog > 0.5) console.log(`the archiver caught up ${backlog.toFixed(1)} s after the last drill`);
    // What a restore replays grows with the WAL written since the backup (hint bits set by the first full read of the
    // filled table are WAL too, as full pages: data checksums are on).
    const [{ mb }] = await sql(url, `SELECT round(pg_wal_lsn_diff(pg_current_wal_lsn(), '${b.startLsn}') / 1e6) AS mb`);
    const drill = slipway(['drill', '--json']);
    await drill.exited;
    const r = JSON.parse(drill.output());
    console.log(
      `drill ${i}/${DRILLS}: ${r.passed ? 'passed' : 'FAILED'}, RTO ${s(r.rtoSeconds)}, RPO ${s(r.rpoSeconds)} (${mb} MB of WAL since the backup when it began)`,
    );
    if (r.rtoSeconds !== null) rto.push(r.rtoSeconds);
    if (r.rpoSeconds !== null) rpo.push(r.rpoSeconds);
  }
  writing = false;
  await writer;
  console.log(
    `drills under a commit every 20 ms (archiveTimeout ${ARCHIVE_TIMEOUT}): RTO median ${s(median(rto))} (${s(Math.min(...rto))}–${s(Math.max(...rto))}), ` +
      `RPO median ${s(median(rpo))} (${s(Math.min(...rpo))}–${s(Math.max(...rpo))})`,
  );
} finally {
  up.child.kill('SIGTERM');
  await up.exited;
  await slipway(['down']).exited;
  rmSync(dir, { recursive: true, force: true });
}
