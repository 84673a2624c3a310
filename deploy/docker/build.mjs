#!/usr/bin/env node
// Builds the streams image from deploy/docker/Dockerfile on the engine DOCKER_HOST points at,
// from base images made on this machine (bases.mjs), with its OCI labels filled in:
//   node deploy/docker/build.mjs [--tag streams:local] [--json] [--public-bases]
// Without an engine of your own: node scripts/docker-engine.mjs run -- node deploy/docker/build.mjs
// Build output goes to stderr; the summary (tag, size, seconds) to stdout, as JSON with --json.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { dockerClient } from '../../scripts/docker-engine.mjs';
import { ensureBaseImages } from './bases.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DEFAULT_TAG = 'streams:local';

function revision() {
  const result = spawnSync('git', ['-C', repo, 'rev-parse', 'HEAD'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : 'unknown';
}

/** Size of an image in bytes, as `docker images` reports it. */
export function imageSize(env, tag) {
  const result = spawnSync(dockerClient(), ['image', 'inspect', '--format', '{{.Size}}', tag], { env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`docker image inspect ${tag} failed: ${result.stderr.trim()}`);
  return Number(result.stdout.trim());
}

/**
 * Builds the image (or another stage of the Dockerfile: `target`). `publicBases` keeps the Dockerfile's default bases (node, distroless), for machines
 * that can pull them. Returns the tag, size and wall time of the build (bases not counted).
 */
export async function buildImage({
  env = process.env,
  tag = DEFAULT_TAG,
  target = 'runtime',
  publicBases = false,
  log = (line) => process.stderr.write(`${line}\n`),
} = {}) {
  const bases = publicBases ? undefined : await ensureBaseImages(env, log);
  const version = JSON.parse(readFileSync(path.join(repo, 'apps/streams/package.json'), 'utf8')).version;
  const args = [
    'build',
    '--network=host',
    '--progress=plain',
    '--file',
    path.join(repo, 'deploy/docker/Dockerfile'),
    '--target',
    target,
    '--tag',
    tag,
    ...(bases ? ['--build-arg', `BUILD_BASE=${bases.build}`, '--build-arg', `RUNTIME_BASE=${bases.runtime}`] : []),
    '--build-arg',
    `VERSION=${version}`,
    '--build-arg',
    `REVISION=${revision()}`,
    '--build-arg',
    `CREATED=${new Date().toISOString()}`,
    repo,
  ];
  const started = performance.now();
  const output = [];
  const code = await new Promise((resolve, reject) => {
    const child = spawn(dockerClient(), args, { env: { ...env, DOCKER_BUILDKIT: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (chunk) => {
        output.push(chunk);
        log(chunk.toString().trimEnd());
      });
    }
    child.once('error', reject);
    child.once('exit', (status) => resolve(status));
  });
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) {
    const tail = Buffer.concat(output).toString().trim().split('\n').slice(-15).join('\n');
    throw new Error(`docker build failed (exit code ${code}):\n${tail}`);
  }
  return { tag, version, bytes: imageSize(env, tag), seconds, bases: bases ?? 'public' };
}

async function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        tag: { type: 'string', default: DEFAULT_TAG },
        json: { type: 'boolean', default: false },
        'public-bases': { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    console.error(`build: ${err.message}\nusage: node deploy/docker/build.mjs [--tag streams:local] [--json] [--public-bases]`);
    return 64;
  }
  if (!process.env.DOCKER_HOST && spawnSync(dockerClient(), ['version'], { stdio: 'ignore' }).status !== 0) {
    console.error(
      'build: no Docker engine answers; set DOCKER_HOST, or run: node scripts/docker-engine.mjs run -- node deploy/docker/build.mjs',
    );
    return 1;
  }
  try {
    const result = await buildImage({ tag: values.tag, publicBases: values['public-bases'] });
    if (values.json) console.log(JSON.stringify(result));
    else
      console.log(
        `built ${result.tag} (streams ${result.version}): ${(result.bytes / 1e6).toFixed(1)} MB in ${result.seconds.toFixed(1)} s`,
      );
    return 0;
  } catch (err) {
    console.error(`build: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main();
}
