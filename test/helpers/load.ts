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

/** Steady load through the router from `concurrency` keep-alive clients; every answer is kept for assertions. */
export function startLoad(
  url: string,
  options: { path: string; token?: string; concurrency?: number },
): { stop(): Promise<LoadResult>; samples: LoadSample[] } {
  const samples: LoadSample[] = [];
  const agent = new Agent({ connections: options.concurrency ?? 4 });
  let running = true;
  const headers: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  const loop = async () => {
    while (running) {
      const at = Date.now();
      try {
        const res = await request(new URL(options.path, url), { dispatcher: agent, headers });
        await res.body.dump();
        samples.push({ at, status: res.statusCode, release: (res.headers[RELEASE_HEADER] as string | undefined) ?? null, error: null });
      } catch (err) {
        samples.push({ at, status: 0, release: null, error: (err as Error).message });
      }
    }
  };
  const loops = Array.from({ length: options.concurrency ?? 4 }, loop);
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
