import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** What a service's own source files say about it: the variables they read, the paths they name, the modules they import. */
export interface SourceScan {
  /** Files read. */
  files: number;
  /** Environment variable name → the files (relative) that read it. */
  envNames: Map<string, string[]>;
  /** Health-like route paths found as string literals → the files that name them. */
  healthPaths: Map<string, string[]>;
  /** Bare module specifiers imported or required (`node:http`, `fastify`, `@slipway/runtime`). */
  imports: Set<string>;
}

const SOURCE_FILE = /\.(?:[cm]?[jt]s|[jt]sx)$/;
const DECLARATION_FILE = /\.d\.[cm]?ts$/;
/** Never the service's own sources: dependencies, tool state, build caches. */
const NOT_SOURCES = new Set(['node_modules', '.git', '.slipway', '.next', '.nuxt', '.turbo', '.cache', 'coverage']);
const MAX_FILES = 2_000;
const MAX_FILE_BYTES = 512 * 1024;

const ENV_PATTERNS = [
  /process\.env\.([A-Za-z_][A-Za-z0-9_]*)/g,
  /process\.env\[\s*['"`]([A-Za-z_][A-Za-z0-9_]*)['"`]\s*\]/g,
  // NestJS's ConfigService and similar: config.get('PORT'), configService.get<number>('HTTP_PORT')
  /\.get(?:<[^>()]*>)?\(\s*['"`]([A-Z][A-Z0-9_]*)['"`]/g,
];
const ENV_DESTRUCTURING = /\{([^{}]*)\}\s*=\s*process\.env\b/g;
const IMPORT_PATTERNS = [/\bfrom\s+['"]([^'"./][^'"]*)['"]/g, /\b(?:require|import)\(\s*['"]([^'"./][^'"]*)['"]\s*\)/g];
const PATH_LITERAL = /['"`](\/[A-Za-z_][\w/-]*)['"`]/g;
/** Paths that services commonly answer health probes on. */
export const HEALTH_PATH =
  /^\/(?:(?:_?health|api\/health|status\/health)(?:\/(?:live|liveness|ready|readiness|startup))?|healthz|readyz|livez|ready|live|liveness|readiness|startup|ping)$/;

/** Reads the source files under `dir` (skipping dependencies, tool state and the folders in `skip`). */
export function scanSources(dir: string, skip: readonly string[] = []): SourceScan {
  const scan: SourceScan = { files: 0, envNames: new Map(), healthPaths: new Map(), imports: new Set() };
  const skipped = new Set(skip.map((s) => path.resolve(dir, s)));
  const visit = (folder: string): void => {
    let entries;
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (scan.files >= MAX_FILES) return;
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        if (!NOT_SOURCES.has(entry.name) && !skipped.has(full)) visit(full);
      } else if (entry.isFile() && SOURCE_FILE.test(entry.name) && !DECLARATION_FILE.test(entry.name)) {
        readSource(full, path.relative(dir, full), scan);
      }
    }
  };
  visit(dir);
  return scan;
}

function readSource(file: string, rel: string, scan: SourceScan): void {
  if (statSync(file).size > MAX_FILE_BYTES) return;
  const text = readFileSync(file, 'utf8');
  scan.files += 1;
  const note = (map: Map<string, string[]>, key: string) => {
    const files = map.get(key) ?? [];
    if (!files.includes(rel)) files.push(rel);
    map.set(key, files);
  };
  for (const pattern of ENV_PATTERNS) for (const m of text.matchAll(pattern)) note(scan.envNames, m[1]!);
  for (const m of text.matchAll(ENV_DESTRUCTURING)) {
    for (const part of m[1]!.split(',')) {
      const name = /^\s*([A-Za-z_][A-Za-z0-9_]*)/.exec(part)?.[1];
      if (name) note(scan.envNames, name);
    }
  }
  for (const pattern of IMPORT_PATTERNS) for (const m of text.matchAll(pattern)) scan.imports.add(m[1]!);
  for (const m of text.matchAll(PATH_LITERAL)) if (HEALTH_PATH.test(m[1]!)) note(scan.healthPaths, m[1]!);
}
