// THE BOUNDARY: a fake `helm` and `kubectl` standing in for a Kubernetes cluster, which cannot run on these machines.
// Each call is recorded (calls.jsonl in FAKE_CLUSTER_DIR) and answered from state.json there: Helm's revisions
// (kept as a real helm would keep them), scripted failures, and Rollout objects replayed one per `get`.
// `helm template` needs no cluster: it is handed to the real helm (REAL_HELM).
import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.env.FAKE_CLUSTER_DIR;
if (!dir) {
  process.stderr.write('fake cluster: FAKE_CLUSTER_DIR is not set\n');
  process.exit(2);
}
const [tool, ...args] = process.argv.slice(2);
appendFileSync(path.join(dir, 'calls.jsonl'), `${JSON.stringify([tool, ...args])}\n`);
const stateFile = path.join(dir, 'state.json');
const state = JSON.parse(readFileSync(stateFile, 'utf8'));
const save = () => writeFileSync(stateFile, JSON.stringify(state, null, 2));
const fail = (message) => {
  process.stderr.write(`Error: ${message}\n`);
  process.exit(1);
};
const flag = (name) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};

function newRevision(status, description) {
  // As Helm: a failed revision leaves the deployed one deployed.
  if (status === 'deployed') for (const r of state.revisions) if (r.status === 'deployed') r.status = 'superseded';
  const revision = (state.revisions.at(-1)?.revision ?? 0) + 1;
  state.revisions.push({ revision, updated: new Date().toISOString(), status, chart: 'streams-0.1.0', app_version: '0.1.0', description });
  save();
}

if (tool === 'helm') {
  const [command] = args;
  if (command === 'template') {
    const real = spawnSync(process.env.REAL_HELM, args, { stdio: 'inherit' });
    process.exit(real.status ?? 1);
  } else if (command === 'history') {
    if (state.revisions.length === 0) fail('release: not found');
    process.stdout.write(JSON.stringify(state.revisions));
  } else if (command === 'upgrade') {
    if (state.fail?.upgrade) {
      newRevision('failed', `Upgrade "${args[2]}" failed: ${state.fail.upgrade}`);
      fail(`UPGRADE FAILED: ${state.fail.upgrade}`);
    }
    newRevision('deployed', flag('--description') ?? 'Upgrade complete');
    process.stdout.write(`Release "${args[2]}" has been upgraded. Happy Helming!\n`);
  } else if (command === 'test') {
    if (state.fail?.test) fail(`pod ${args[1]}-smoke failed: ${state.fail.test}`);
    process.stdout.write('Phase: Succeeded\n');
  } else if (command === 'rollback') {
    const to = Number(args[2]);
    if (!state.revisions.some((r) => r.revision === to)) fail(`release has no ${to} version`);
    newRevision('deployed', `Rollback to ${to}`);
    process.stdout.write('Rollback was a success! Happy Helming!\n');
  } else fail(`the fake helm does not know "${command}"`);
} else if (tool === 'kubectl') {
  const [verb, resource] = args;
  if (verb === 'get' && resource === 'rollouts.argoproj.io') {
    const replay = state.rollouts ?? [];
    const object = replay.length > 1 ? replay.shift() : replay[0];
    save();
    process.stdout.write(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: object ? [object] : [] }));
  } else if (verb === 'patch' && resource === 'rollouts.argoproj.io') {
    process.stdout.write(`rollout.argoproj.io/${args[2]} patched\n`);
  } else fail(`the fake kubectl does not know "${verb} ${resource}"`);
}
