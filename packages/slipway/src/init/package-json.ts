import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../smoke/command.js';

/** The parts of a service's package.json that `slipway init` reads. */
export interface PackageJson {
  name?: string;
  main?: string;
  type?: string;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

/** Reads `<dir>/package.json`; a missing or unreadable one is a usage mistake (init runs in a service's folder). */
export function readPackageJson(dir: string): PackageJson {
  const file = path.join(dir, 'package.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(
      `no package.json in ${dir}: run slipway init in your service's folder (or name the folder: slipway init <folder>)`,
    );
  }
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  return {
    ...(typeof raw.name === 'string' && { name: raw.name }),
    ...(typeof raw.main === 'string' && { main: raw.main }),
    ...(typeof raw.type === 'string' && { type: raw.type }),
    scripts: stringRecord(raw.scripts),
    dependencies: stringRecord(raw.dependencies),
    devDependencies: stringRecord(raw.devDependencies),
  };
}

function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
}
