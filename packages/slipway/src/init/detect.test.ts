import { describe, expect, it } from 'vitest';
import { EXPRESS_SERVICE, FASTIFY_SERVICE, NODE_HTTP_SERVICE, serviceFolders } from '../../../../test/helpers/service-folders.js';
import { detectService } from './detect.js';

const folder = serviceFolders();

describe('detecting how a service runs', () => {
  it('Express: start script with a variable, HTTP_PORT, readiness and liveness routes, pg, no lockfile', () => {
    const d = detectService(folder(EXPRESS_SERVICE));
    expect(d.framework).toBe('express');
    expect(d.serviceName).toBe('orders-api');
    expect(d.start).toMatchObject({ argv: ['node', 'src/server.js'], env: { NODE_ENV: 'production' }, from: 'scripts["start"]' });
    expect(d.build).toBeNull();
    expect(d.port).toMatchObject({ env: 'HTTP_PORT', candidates: ['HTTP_PORT'] });
    expect(d.probes).toMatchObject({ readiness: '/ready', liveness: '/live' });
    expect(d.postgresClient).toBe('pg');
    expect(d.lockfile).toBe(false);
    expect(d.include).toEqual(['package.json', 'src']);
  });

  it('Fastify in TypeScript: build script, tsconfig outDir, PORT from destructuring, no health route, sources read instead of the build', () => {
    const d = detectService(folder(FASTIFY_SERVICE));
    expect(d.framework).toBe('fastify');
    expect(d.serviceName).toBe('catalog');
    expect(d.start).toMatchObject({ argv: ['node', 'dist/main.js'], env: {} });
    expect(d.build?.argv).toEqual(['npm', 'run', 'build', '--silent']);
    // METRICS_PORT is another port; BUNDLED_PORT and /livez are only in dist/, which the build rewrites.
    expect(d.port).toMatchObject({ env: 'PORT', candidates: ['PORT'] });
    expect(d.probes).toMatchObject({ readiness: '/healthz', liveness: '/healthz', found: [] });
    expect(d.probes.from).toMatch(/no health route/);
    expect(d.postgresClient).toBeNull();
    expect(d.lockfile).toBe(true);
    expect(d.include).toEqual(['package.json', 'dist', 'public']);
  });

  it('node:http: the entry, its helper folder, no tool config, the /healthz route', () => {
    const d = detectService(folder(NODE_HTTP_SERVICE));
    expect(d.framework).toBe('node:http');
    expect(d.start).toMatchObject({ argv: ['node', 'server.mjs'] });
    expect(d.port.env).toBe('PORT');
    expect(d.probes).toMatchObject({ readiness: '/healthz', liveness: '/healthz' });
    expect(d.include).toEqual(['package.json', 'server.mjs', 'lib']);
    expect(d.dependencies).toBe(0);
  });

  it("NestJS: start:prod rather than the CLI's start, ConfigService's port variable", () => {
    const d = detectService(
      folder({
        'package.json': {
          name: 'nest-app',
          scripts: { build: 'nest build', start: 'nest start', 'start:prod': 'node dist/main' },
          dependencies: { '@nestjs/core': '^11.0.0', '@nestjs/platform-express': '^11.0.0' },
        },
        'src/main.ts': `const app = await NestFactory.create(AppModule);\nawait app.listen(config.get<number>('APP_PORT') ?? 3000);\n`,
        'src/health.controller.ts': `@Controller('health') export class Health { @Get('/health/ready') ready() {} }\n`,
      }),
    );
    expect(d.framework).toBe('nestjs');
    expect(d.start?.argv).toEqual(['node', 'dist/main']);
    expect(d.port.env).toBe('APP_PORT');
    expect(d.probes).toMatchObject({ readiness: '/health/ready', liveness: '/health/ready' });
    expect(d.include).toEqual(['package.json', 'dist']);
  });

  it('Next.js: started through npm, its build folder, public files and next.config', () => {
    const d = detectService(
      folder({
        'package.json': {
          name: 'site',
          scripts: { build: 'next build', start: 'next start' },
          dependencies: { next: '^15.0.0', react: '^19.0.0' },
        },
        'next.config.mjs': 'export default {};\n',
        'public/favicon.ico': '',
        'app/page.tsx': 'export default function Page() { return null; }\n',
      }),
    );
    expect(d.framework).toBe('next');
    expect(d.start?.argv).toEqual(['npm', 'start', '--silent']);
    expect(d.include).toEqual(['package.json', '.next', 'public', 'next.config.mjs']);
  });

  it("Slipway's runtime kit: its three probe routes", () => {
    const d = detectService(
      folder({
        'package.json': { name: 'kit-user', main: 'main.js', dependencies: { fastify: '^5.0.0', '@slipway/runtime': '^0.1.0' } },
        'main.js': `import { createService } from '@slipway/runtime';\n`,
      }),
    );
    expect(d.runtimeKit).toBe(true);
    expect(d.start?.argv).toEqual(['node', 'main.js']);
    expect(d.probes).toMatchObject({ startup: '/health/startup', readiness: '/health/ready', liveness: '/health/live' });
  });

  it('Prisma on MySQL is no reason for a PostgreSQL; on PostgreSQL it is', () => {
    const prisma = (provider: string) =>
      detectService(
        folder({
          'package.json': { name: 'p', main: 'index.js', dependencies: { '@prisma/client': '^6.0.0' } },
          'index.js': '',
          'prisma/schema.prisma': `datasource db {\n  provider = "${provider}"\n}\n`,
        }),
      ).postgresClient;
    expect(prisma('mysql')).toBeNull();
    expect(prisma('postgresql')).toBe('@prisma/client');
  });

  it('a folder with nothing to start by has no start command', () => {
    const d = detectService(folder({ 'package.json': { name: 'empty' }, 'src/app.ts': '' }));
    expect(d.start).toBeNull();
    expect(d.framework).toBe('unknown');
  });
});
