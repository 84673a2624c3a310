import { Agent, request } from 'undici';
import { RELEASE_HEADER } from '../../packages/slipway/src/local/router.js';

export interface LoadSample {
  at: number;
  status: number;
  release: string | null;
  error: string | null;
}

export interface LoadResult {
  samples: LoadSample[];
  total: number;
  /** Socket errors and 5xx answers. */
  failed: LoadSample[];
  byRelease(release: string): LoadSample[];
}

/**
 * Steady load through the router: `rate` requests per second (default 150) from `concurrency` keep-alive clients;
 * every answer is kept for assertions. A fixed rate rather than as-fast-as-possible: a saturating load on this
 * 2-core machine starves every process the test starts, and user traffic at full capacity is not "steady".
 */
export function startLoad(
  url: string,
  options: { path: string; token?: string; concurrency?: number; rate?: number; json?: unknown; ca?: string },
): { stop(): Promise<LoadResult>; samples: LoadSample[] } {
  const samples: LoadSample[] = [];
  const concurrency = options.concurrency ?? 4;
  const intervalMs = 1000 / (options.rate ?? 150);
  const agent = new Agent({ connections: concurrency, ...(options.ca === undefined ? {} : { connect: { ca: options.ca } }) });
  let running = true;
  const headers: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  // A JSON body makes it a POST.
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  if (body !== undefined) headers['content-type'] = 'application/json';
  const startedAt = Date.now();
  let scheduled = 0;
  const loop = async () => {
    while (running) {
      // The next free slot on the schedule; a client that is behind it sends at once (no bursts beyond `concurrency`).
      const due = startedAt + scheduled++ * intervalMs;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      if (!running) break;
      const at = Date.now();
      try {
        const res = await request(new URL(options.path, url), {
          dispatcher: agent,
          headers,
          ...(body !== undefined && { method: 'POST' as const, body }),
        });
        await res.body.dump();
        samples.push({ at, status: res.statusCode, release: (res.headers[RELEASE_HEADER] as string | undefined) ?? null, error: null });
      } catch (err) {
        samples.push({ at, status: 0, release: null, error: (err as Error).message });
      }
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  return {
    samples,
    async stop() {
      running = false;
      await Promise.all(loops);
      await agent.close();
      return {
        samples,
        total: samples.length,
        failed: samples.filter((s) => s.error !== null || s.status >= 500),
        byRelease: (release) => samples.filter((s) => s.release === release),
      };
    },
  };
}
