// THE BOUNDARY: a fake `kubectl` standing in for the Kubernetes API and CloudNativePG while the restore drill's
// scripts (deploy/helm/streams/files/drill) run here, where no cluster can. Each call is recorded, with what was piped
// into it, as a line of calls.jsonl in FAKE_CLUSTER_DIR, and answered from state.json there: when the temporary
// Cluster becomes ready, whether amcheck finds corruption, how the service's `verify` container ended.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.env.FAKE_CLUSTER_DIR;
if (!dir) {
  process.stderr.write('fake cluster: FAKE_CLUSTER_DIR is not set\n');
  process.exit(2);
}
const stateFile = path.join(dir, 'state.json');
const state = JSON.parse(readFileSync(stateFile, 'utf8'));
const save = () => writeFileSync(stateFile, JSON.stringify(state, null, 2));
const fail = (message) => {
  process.stderr.write(`Error from server: ${message}\n`);
  process.exit(1);
};

const raw = process.argv.slice(2);
const namespaceAt = raw.indexOf('-n');
const args = namespaceAt === -1 ? raw : raw.filter((_, i) => i !== namespaceAt && i !== namespaceAt + 1);
const readsStdin = args.includes('-f') || args.includes('-i');
const stdin = readsStdin ? readFileSync(0, 'utf8') : undefined;
appendFileSync(path.join(dir, 'calls.jsonl'), `${JSON.stringify({ args: raw, ...(stdin === undefined ? {} : { stdin }) })}\n`);

const [verb, resource, name] = args;
const jsonpath = (args.find((a) => a.startsWith('jsonpath=')) ?? args[args.indexOf('-o') + 1] ?? '').replace(/^jsonpath=/, '');
const CLUSTERS = 'clusters.postgresql.cnpg.io';

if (verb === 'create' && resource === '-f') {
  if (state.createFails) fail(`clusters.postgresql.cnpg.io "${state.clusterName}" already exists`);
  state.created = true;
  save();
  process.stdout.write(`cluster.postgresql.cnpg.io/${state.clusterName} created\n`);
} else if (verb === 'get' && resource === CLUSTERS) {
  if (!state.created || name !== state.clusterName) fail(`clusters.postgresql.cnpg.io "${name}" not found`);
  if (jsonpath.includes('"Ready"')) {
    state.readyPolls = (state.readyPolls ?? 0) + 1;
    save();
    process.stdout.write(state.readyPolls >= state.readyAfterPolls ? 'True' : 'False');
  } else if (jsonpath.includes('currentPrimary')) process.stdout.write(`${name}-1`);
  else if (jsonpath.includes('phase')) process.stdout.write('Setting up primary');
  else fail(`the fake kubectl cannot answer ${jsonpath} for a Cluster`);
} else if (verb === 'delete' && resource === CLUSTERS) {
  state.created = false;
  save();
  process.stdout.write(`cluster.postgresql.cnpg.io "${name}" deleted\n`);
} else if (verb === 'get' && resource === 'pod') {
  if (jsonpath.includes('creationTimestamp')) process.stdout.write(state.podCreated);
  else if (jsonpath.includes('"verify"') && jsonpath.endsWith('exitCode}')) process.stdout.write(state.verifyExitCode ?? '');
  else if (jsonpath.includes('"verify"') && jsonpath.endsWith('message}')) process.stdout.write(state.verifyMessage ?? '');
  else fail(`the fake kubectl cannot answer ${jsonpath} for a pod`);
} else if (verb === 'exec') {
  if (state.amcheckFindings) {
    process.stderr.write(`psql:<stdin>:30: ERROR:  ${state.amcheckFindings}\n`);
    process.exit(3);
  }
  process.stderr.write(
    ['data checksums on', '48 B-tree indexes consistent with their tables', '97 tables without corruption']
      .map((line, i) => `psql:<stdin>:${i * 20 + 10}: NOTICE:  amcheck: ${line}\n`)
      .join(''),
  );
} else if (verb === 'get' && resource === 'secret') {
  process.stdout.write(Buffer.from(`postgresql://streams:secret@${state.clusterName}-rw.streams:5432/streams`).toString('base64'));
} else fail(`the fake kubectl does not know "${args.join(' ')}"`);
