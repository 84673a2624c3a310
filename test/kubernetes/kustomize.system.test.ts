// The Kustomize tree: its base, monitoring and secrets folders generated from the Helm chart, overlays rendered by
// the real kubectl (from its npm package), every object schema-validated, and each overlay agreeing with the chart
// rendered with the same environment's values file.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../deploy/k8s/generate.mjs';
import { ensureK8sTools } from '../../scripts/k8s-tools.mjs';
import { parseDocs, policyViolations, renderChart, runToolOk, validateDoc, type K8sDoc } from '../helpers/k8s.js';
import { ROOT } from '../helpers/process.js';

const K8S = path.join(ROOT, 'deploy/k8s');
const ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;

let tools: { helm: string; kubectl: string };

const kustomize = (folder: string) => parseDocs(runToolOk(tools.kubectl, ['kustomize', path.join(K8S, folder)]));

interface Workload extends K8sDoc {
  spec: {
    template: {
      spec: {
        securityContext?: unknown;
        containers: {
          name: string;
          image: string;
          args?: string[];
          securityContext?: unknown;
          startupProbe?: unknown;
          readinessProbe?: unknown;
          livenessProbe?: unknown;
        }[];
      };
    };
  };
}

/** What must be the same on both engines: names, images, commands, probes, security context. */
function workloads(docs: K8sDoc[]) {
  return Object.fromEntries(
    (docs.filter((d) => d.kind === 'Deployment') as Workload[]).map((d) => [
      d.metadata.name,
      {
        podSecurityContext: d.spec.template.spec.securityContext,
        containers: d.spec.template.spec.containers.map(
          ({ name, image, args, securityContext, startupProbe, readinessProbe, livenessProbe }) => ({
            name,
            image,
            args,
            securityContext,
            startupProbe,
            readinessProbe,
            livenessProbe,
          }),
        ),
      },
    ]),
  );
}

beforeAll(() => {
  tools = ensureK8sTools();
});

describe('the Kustomize tree', () => {
  it('has base, monitoring, secrets and disaster-recovery folders that are what the chart generates (npm run k8s:generate)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'streams-k8s-'));
    try {
      const files = generate(dir);
      expect(files).toEqual(
        expect.arrayContaining([
          'base/kustomization.yaml',
          'base/api.yaml',
          'monitoring/prometheusrule.yaml',
          'secrets/externalsecret.yaml',
          'disaster-recovery/kustomization.yaml',
          'disaster-recovery/database.yaml',
          'disaster-recovery/drill.yaml',
          'disaster-recovery/recovery-cluster.yaml',
        ]),
      );
      for (const file of files) {
        expect({ file, text: readFileSync(path.join(dir, file), 'utf8') }).toEqual({
          file,
          text: readFileSync(path.join(K8S, file), 'utf8'),
        });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(ENVIRONMENTS)('renders overlays/%s into objects that validate against their schemas and pass the policies', async (env) => {
    const docs = kustomize(`overlays/${env}`);
    expect(docs.every((d) => d.kind === 'Namespace' || (d.metadata as { namespace?: string }).namespace !== undefined)).toBe(true);
    expect((await Promise.all(docs.map(validateDoc))).filter(Boolean)).toEqual([]);
    expect(policyViolations(docs)).toEqual([]);
  });

  it.each(ENVIRONMENTS)('overlays/%s and the chart with its values file agree on the workloads', (env) => {
    const chart = renderChart(tools.helm, `values-${env}.yaml`);
    const overlay = kustomize(`overlays/${env}`);
    expect(Object.keys(workloads(overlay)).sort()).toEqual(['streams-api', 'streams-worker']);
    expect(workloads(overlay)).toEqual(workloads(chart));
    const pick = (docs: K8sDoc[], kind: string) => docs.find((d) => d.kind === kind && d.metadata.name === 'streams-api')?.spec;
    if (env !== 'dev')
      expect(pick(overlay, 'HorizontalPodAutoscaler')).toMatchObject({
        minReplicas: (pick(chart, 'HorizontalPodAutoscaler') as { minReplicas: number }).minReplicas,
      });
    expect(pick(overlay, 'PodDisruptionBudget')).toEqual(pick(chart, 'PodDisruptionBudget'));
  });

  it.each(ENVIRONMENTS)('overlays/%s labels its metrics with the version of the image it runs', (env) => {
    const docs = kustomize(`overlays/${env}`);
    const images = (docs.filter((d) => d.kind === 'Deployment') as Workload[]).flatMap((d) =>
      d.spec.template.spec.containers.map((c) => c.image.split(':').pop()),
    );
    const version = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'streams')?.data?.APP_VERSION;
    expect(new Set(images)).toEqual(new Set([version]));
  });

  it('points Argo CD or Flux (one folder each, never both) at the prod overlay, with objects that validate', async () => {
    const argocd = kustomize('gitops/argocd');
    const flux = kustomize('gitops/flux');
    expect(argocd.map((d) => d.kind)).toEqual(['Application']);
    expect(flux.map((d) => d.kind).sort()).toEqual(['GitRepository', 'Kustomization']);
    expect((await Promise.all([...argocd, ...flux].map(validateDoc))).filter(Boolean)).toEqual([]);
    const app = argocd[0]!.spec as { source: { path: string } };
    const fluxSync = flux.find((d) => d.kind === 'Kustomization')!.spec as { path: string };
    expect([app.source.path, fluxSync.path]).toEqual(['deploy/k8s/overlays/prod', './deploy/k8s/overlays/prod']);
  });
});
