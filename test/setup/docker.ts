import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildImage } from '../../deploy/docker/build.mjs';
import { dockerClient, startDockerEngine } from '../../scripts/docker-engine.mjs';
import { ROOT } from '../helpers/process.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dockerHost: string;
    streamsImage: string;
  }
}

export const TEST_IMAGE = 'streams:test';

/**
 * The Docker tier's engine and image: dockerd started by the project's own script (no bridge, no
 * iptables; data root under .cache/docker so build layers are reused between runs), then the streams
 * image built once from locally made bases. The build's output goes to .cache/docker-build.log.
 */
export default async function setup(project: TestProject) {
  const cache = path.join(ROOT, '.cache');
  mkdirSync(cache, { recursive: true });
  const buildLog = path.join(cache, 'docker-build.log');
  writeFileSync(buildLog, '');
  let engine;
  try {
    engine = await startDockerEngine({ log: (line) => console.log(line) });
  } catch (err) {
    // One line that says why, then the tier fails: a Docker test never skips.
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new Error(`docker tier: cannot start a Docker engine here: ${reason}`);
  }
  try {
    const built = await buildImage({ env: engine.env, tag: TEST_IMAGE, log: (line) => appendFileSync(buildLog, `${line}\n`) });
    console.log(
      `docker tier: built ${built.tag}: ${(built.bytes / 1e6).toFixed(1)} MB in ${built.seconds.toFixed(1)} s (log: ${buildLog})`,
    );
  } catch (err) {
    await engine.stop();
    throw new Error(`docker tier: the image did not build (log: ${buildLog}): ${err instanceof Error ? err.message : String(err)}`);
  }
  project.provide('dockerHost', engine.host);
  project.provide('streamsImage', TEST_IMAGE);
  return async () => {
    // Earlier builds of the test image, now untagged, would otherwise pile up in the cache.
    spawnSync(dockerClient(), ['image', 'prune', '--force'], { env: engine.env, stdio: 'ignore' });
    await engine.stop();
  };
}
