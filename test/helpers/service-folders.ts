import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';

/** A service folder in a fresh temporary folder (outside this repository), holding `files`; answers its path. */
export function makeServiceFolder(files: Record<string, string | object>, prefix = 'slipway-service-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  writeFiles(dir, files);
  return dir;
}

/** makeServiceFolder for one test file: every folder it made is removed after each test. */
export function serviceFolders(): (files: Record<string, string | object>) => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return (files) => {
    const dir = makeServiceFolder(files);
    dirs.push(dir);
    return dir;
  };
}

export function writeFiles(dir: string, files: Record<string, string | object>): void {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
}

/** Express, written as people do: CommonJS, its port from HTTP_PORT, readiness and liveness routes, pg for its data. */
export const EXPRESS_SERVICE = {
  'package.json': {
    name: 'orders-api',
    version: '1.0.0',
    main: 'src/server.js',
    scripts: { start: 'NODE_ENV=production node src/server.js', test: 'node --test' },
    dependencies: { express: '^4.21.2', pg: '^8.13.0' },
  },
  'src/server.js': `const express = require('express');
const orders = require('./routes/orders');
const app = express();
app.get('/ready', (req, res) => res.send('ready'));
app.get('/live', (req, res) => res.send('ok'));
app.use('/orders', orders);
app.listen(process.env.HTTP_PORT || 3000);
`,
  'src/routes/orders.js': `const { Router } = require('express');
module.exports = Router().get('/', (req, res) => res.json([]));
`,
  '.gitignore': 'node_modules\n',
};

/** Fastify in TypeScript, built by tsc into dist (comments in tsconfig.json), no health route, a lockfile. */
export const FASTIFY_SERVICE = {
  'package.json': {
    name: '@acme/catalog',
    version: '2.0.0',
    type: 'module',
    scripts: { build: 'tsc', start: 'node dist/main.js', dev: 'tsx watch src/main.ts' },
    dependencies: { fastify: '^5.2.0' },
    devDependencies: { typescript: '^5.9.0', tsx: '^4.0.0' },
  },
  'package-lock.json': { name: '@acme/catalog', lockfileVersion: 3, packages: { '': { name: '@acme/catalog' } } },
  'tsconfig.json': `{
  // compiled for Node 20
  "compilerOptions": {
    "outDir": "./dist", /* where node runs it from */
    "module": "nodenext",
  },
}
`,
  'src/main.ts': `import Fastify from 'fastify';
const { PORT = '3000', METRICS_PORT } = process.env;
const app = Fastify();
app.get('/products', async () => []);
await app.listen({ port: Number(PORT), host: '127.0.0.1' });
console.log(METRICS_PORT);
`,
  // Built output: the sources are what is read, not this.
  'dist/main.js': `const port = process.env.BUNDLED_PORT; fetch('/livez');\n`,
  'public/logo.svg': '<svg/>',
};

/** Plain node:http, ESM, no dependencies and no lockfile, a /healthz route, a helper module and a tool config. */
export const NODE_HTTP_SERVICE = {
  'package.json': { name: 'hello', version: '1.0.0', type: 'module', scripts: { start: 'node server.mjs' } },
  'server.mjs': `import { createServer } from 'node:http';
import { greet } from './lib/greet.mjs';
const server = createServer((req, res) => {
  if (req.url === '/healthz') return res.end('ok');
  if (req.url === '/') return res.end(greet(process.env.APP_VERSION));
  res.statusCode = 404;
  res.end('not found');
});
server.listen(Number(process.env.PORT), () => console.log('listening on ' + process.env.PORT));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`,
  'lib/greet.mjs': `export const greet = (version) => 'hello from ' + version;\n`,
  'eslint.config.js': 'export default [];\n',
};
