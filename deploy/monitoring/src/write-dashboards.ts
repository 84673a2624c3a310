// Writes the dashboards of dashboards.ts into deploy/monitoring/dashboards/, then copies the service's dashboards
// and alert rules into the Helm chart's files/ (a chart can only read files inside itself).
//   npm run dashboards
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { allDashboards, dashboardJson } from './dashboards.js';

const monitoring = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const folder = path.join(monitoring, 'dashboards');
for (const [file, board] of Object.entries(allDashboards())) {
  writeFileSync(path.join(folder, file), dashboardJson(board));
  console.log(`wrote ${path.join(folder, file)}`);
}

const chartFiles = path.resolve(monitoring, '../helm/streams/files');
for (const kind of ['dashboards', 'rules']) {
  mkdirSync(path.join(chartFiles, kind), { recursive: true });
  // The service's own only: Slipway's backup dashboard and rules watch `slipway up`, which a cluster does not run.
  for (const file of readdirSync(path.join(monitoring, kind)).filter((f) => /^streams.*\.(json|yml)$/.test(f))) {
    copyFileSync(path.join(monitoring, kind, file), path.join(chartFiles, kind, file));
  }
}
console.log(`copied the dashboards and rules into ${chartFiles}`);
