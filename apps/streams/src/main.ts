#!/usr/bin/env node
import { createLogger, runConfigOrExit, startTracing, type Tracing } from '@slipway/runtime';
import { loadStreamsConfig } from './config.js';

const USAGE = `usage: streams <command>

commands:
  start            run everything on one machine: embedded PostgreSQL (unless DATABASE_URL
                   is set), migrations, the API and the worker; Ctrl-C stops it all
  api              run the HTTP API and web UI
  worker           run settlement jobs and the activity indexer
  migrate          apply pending database migrations and exit
  indexer:rebuild  clear the activity feed and totals and rebuild them from journal 0
  verify [--rebuild-read-model]
                   check the ledger's invariants (exit 1 if one is broken); with the flag, also
                   rebuild the read model from journal 0 and compare (a copy only: it clears it)
  synthetic:bootstrap [--token-file F] [--rotate] [--floor N]
                   create or reuse the smoke suite's two synthetic users and their API
                   tokens (written to F, default .slipway/smoke-tokens.json), and top
                   their wallets up from the synthetic treasury
  smoke --target URL [--token-file F] [--metrics-url U] [--expect-version V]
        [--junit F] [--json] [--timeout 60s] [--bootstrap]
                   run the post-deploy smoke suite against a running release;
                   --bootstrap first does synthetic:bootstrap (needs DATABASE_URL)

Configuration comes from environment variables (see README.md).`;

async function main(argv: string[]): Promise<void> {
  const command = argv[0];
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    process.exit(command === undefined ? 64 : 0);
  }
  if (command === 'smoke') {
    // Talks to a release over HTTP only: needs none of the service's own configuration.
    const { runSmokeCli } = await import('./cli/smoke.js');
    process.exitCode = await runSmokeCli(argv.slice(1));
    return;
  }
  const config = runConfigOrExit(() => loadStreamsConfig());
  let tracing: Tracing | null = null;
  if (config.OTEL_EXPORTER_OTLP_ENDPOINT && (command === 'api' || command === 'worker')) {
    // Before fastify and pg are imported, so their instrumentation can patch them.
    tracing = await startTracing({
      serviceName: config.OTEL_SERVICE_NAME ?? `streams-${command}`,
      version: config.APP_VERSION,
      endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
    });
  }
  switch (command) {
    case 'api':
    case 'worker': {
      const service =
        command === 'api'
          ? await (await import('./api/main.js')).runApi(config, tracing)
          : await (await import('./worker/main.js')).runWorker(config, tracing);
      // Started by `streams start`: if that supervisor dies, stop too rather than linger.
      if (process.send) process.once('disconnect', () => void service.shutdown('supervisor exited'));
      return;
    }
    case 'start': {
      const { runStack } = await import('./cli/start.js');
      await runStack(config);
      return;
    }
    case 'migrate':
    case 'indexer:rebuild':
    case 'verify':
    case 'synthetic:bootstrap': {
      const { runAdminCommand } = await import('./cli/admin.js');
      const logger = createLogger({ service: 'streams', version: config.APP_VERSION, level: config.LOG_LEVEL });
      await runAdminCommand(command, argv.slice(1), config, logger);
      return;
    }
    default:
      process.stderr.write(`streams: unknown command "${command}"\n\n${USAGE}\n`);
      process.exit(64);
  }
}

main(process.argv.slice(2)).catch(async (err: unknown) => {
  const { isUsageError } = await import('./cli/usage.js');
  if (isUsageError(err)) {
    process.stderr.write(`streams ${process.argv[2] ?? ''}: ${err.message}\n`);
    process.exit(2);
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'EADDRINUSE' || code === 'EACCES') {
    const { address, port } = err as { address?: string; port?: number };
    process.stderr.write(
      `streams: cannot listen on ${address ?? ''}:${port ?? '?'} (${String(code)}): is another process using PORT or METRICS_PORT?\n`,
    );
    process.exit(1);
  }
  process.stderr.write(`streams: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
