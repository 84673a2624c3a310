// Writes the dashboards of dashboards.ts into deploy/monitoring/dashboards/ (or the folder given).
//   npm run dashboards
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dashboardJson, streamsDashboards } from './dashboards.js';

const folder = process.argv[2] ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dashboards');
for (const [file, board] of Object.entries(streamsDashboards())) {
  writeFileSync(path.join(folder, file), dashboardJson(board));
  console.log(`wrote ${path.join(folder, file)}`);
}
