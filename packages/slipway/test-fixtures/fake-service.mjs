#!/usr/bin/env node
// A stand-in service for the process supervisor's tests: a tiny node:http server configured by environment variables.
//
//   PORT                          port on 127.0.0.1 (required unless it crashes on start)
//   FAKE_CRASH_ON_START=1         print an error line and exit 1 at once
//   FAKE_START_DELAY_MS=N         start listening only after N ms
//   FAKE_NEVER_READY=1            GET /health/ready answers 503 forever
//   FAKE_LIVENESS_FAIL_AFTER_MS=N GET /health/live answers 503 once the process is N ms old
//   FAKE_EXIT_AFTER_MS=N          exit with code 3 after N ms
//   FAKE_IGNORE_SIGTERM=1         log SIGTERM but keep running (only SIGKILL stops it)
//
// Routes: GET /health/startup, /health/ready, /health/live, / (answers {"pid": <pid>}). Logs pino-like JSON lines to
// stdout. On SIGTERM it closes the server and exits 0; when the supervisor's IPC channel goes away it exits too.
import { createServer } from 'node:http';
import { hostname } from 'node:os';

const startedAt = Date.now();
const env = process.env;
const numberFromEnv = (name) => (env[name] === undefined || env[name] === '' ? null : Number(env[name]));

function log(level, msg, fields = {}) {
  const line = {
    level,
    time: Date.now(),
    pid: process.pid,
    hostname: hostname(),
    service: 'fake',
    version: env.APP_VERSION ?? 'test',
    msg,
    ...fields,
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

if (env.FAKE_CRASH_ON_START === '1') {
  log(30, 'fake-service starting');
  process.stderr.write('Error: fake-service crashed on start (FAKE_CRASH_ON_START=1)\n');
  process.exit(1);
}

const port = Number(env.PORT);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write(`fake-service: PORT must be a port number, got ${JSON.stringify(env.PORT)}\n`);
  process.exit(64);
}

const livenessFailAfterMs = numberFromEnv('FAKE_LIVENESS_FAIL_AFTER_MS');

const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const answer = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.method !== 'GET') return answer(405, { error: 'method not allowed' });
  switch (path) {
    case '/':
      return answer(200, { pid: process.pid });
    case '/health/startup':
      return answer(200, { status: 'started' });
    case '/health/ready':
      return env.FAKE_NEVER_READY === '1' ? answer(503, { status: 'not ready' }) : answer(200, { status: 'ready' });
    case '/health/live':
      return livenessFailAfterMs !== null && Date.now() - startedAt >= livenessFailAfterMs
        ? answer(503, { status: 'dead' })
        : answer(200, { status: 'live' });
    default:
      return answer(404, { error: 'not found' });
  }
});

function listen() {
  server.listen(port, '127.0.0.1', () => log(30, `listening on http://127.0.0.1:${port}`, { port }));
}
const startDelayMs = numberFromEnv('FAKE_START_DELAY_MS');
if (startDelayMs !== null) setTimeout(listen, startDelayMs);
else listen();

const exitAfterMs = numberFromEnv('FAKE_EXIT_AFTER_MS');
if (exitAfterMs !== null) {
  setTimeout(() => {
    log(50, `exiting with code 3 after ${exitAfterMs} ms (FAKE_EXIT_AFTER_MS)`);
    process.exit(3);
  }, exitAfterMs);
}

function shutdown(why) {
  log(30, `${why}, closing the server`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
  // Nothing may keep it alive past this point.
  setTimeout(() => process.exit(0), 1000).unref();
}

process.on('SIGTERM', () => {
  if (env.FAKE_IGNORE_SIGTERM === '1') {
    log(40, 'received SIGTERM, ignoring it (FAKE_IGNORE_SIGTERM)');
    return;
  }
  shutdown('received SIGTERM');
});
if (process.send) process.once('disconnect', () => shutdown('supervisor went away'));
