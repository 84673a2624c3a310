import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { isProcessAlive } from '@slipway/runtime';
import type { Backend } from '../../engine/backend.js';
import { RELEASE_ID } from '../../engine/release-id.js';
import { BUILDING, type Decision, type ReleaseStore } from '../../engine/store.js';
import { renderReport } from '../../report/html.js';
import { DashboardAuth, SESSION_TTL_MS } from './auth.js';
import { dashboardPage, pageUpdate, SCRIPT_PATH, signInPage, STYLE_PATH } from './page.js';
import { DASHBOARD_CSS } from './styles.js';
import { TrafficWindow } from './traffic.js';
import { dashboardState, type DashboardState } from './view.js';

export type DecisionReply = { ok: true; message: string } | { ok: false; message: string };
/** What the page's Promote and Abort buttons do: `slipway promote` / `slipway abort` for that release. */
export type DecisionHandler = (release: string, action: Decision) => Promise<DecisionReply>;

export interface DashboardSources {
  backend: Pick<Backend, 'state' | 'metrics'>;
  store: ReleaseStore;
  decide: DecisionHandler;
}

export interface SignInLink {
  /** Opens the dashboard once: it sets the session cookie and redirects to `dashboardUrl`. */
  url: string;
  dashboardUrl: string;
  expiresAt: string;
}

export interface Dashboard {
  url: string;
  signInLink(): SignInLink;
  close(): Promise<void>;
}

const ACTIONS: readonly Decision[] = ['promote', 'abort'];
/** Reachable without a session: the sign-in route, and what the sign-in page itself loads. */
const PUBLIC_ROUTES = new Set(['/login', STYLE_PATH]);

// Only what the dashboard's own files do: no inline script or style, nothing from elsewhere, never in a frame.
const PAGE_CSP = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
};
/** A release report is one self-contained page: inline CSS and SVG, no scripts. */
const REPORT_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * The live release dashboard of `slipway up`, on its own loopback port: what runs and takes traffic, the release in
 * progress, its analysis, the history with each release's report, and Promote / Abort for a release waiting for a
 * person. A browser gets in with a one-time link (`slipway dashboard`) that becomes an HttpOnly, SameSite=Strict
 * session cookie; requests that change anything must also come from the dashboard's own origin.
 */
export async function startDashboard(sources: DashboardSources, options: { port: number }): Promise<Dashboard> {
  const auth = new DashboardAuth();
  const traffic = new TrafficWindow();
  let cookieName = '';
  let allowedHosts = new Set<string>();

  const app = Fastify({ logger: false, forceCloseConnections: true });
  await app.register(fastifyCookie);
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: { useDefaults: false, directives: PAGE_CSP },
    hsts: false, // plain HTTP on loopback
    referrerPolicy: { policy: 'no-referrer' },
  });
  app.addHook('onRequest', async (req, reply) => {
    reply.header('cache-control', 'no-store');
    // A name that resolves to 127.0.0.1 is not enough (DNS rebinding): the request must name this server.
    if (!allowedHosts.has(req.headers.host ?? ''))
      return refuse(reply, 403, 'wrong_host', 'this dashboard answers only to its own address');
    if (PUBLIC_ROUTES.has(req.routeOptions.url ?? '')) return;
    if (!auth.isSession(req.cookies[cookieName])) {
      if (isApi(req)) return refuse(reply, 401, 'unauthenticated', 'sign in with the link `slipway dashboard` prints');
      return reply.code(401).type('text/html; charset=utf-8').send(signInPage('You are not signed in.'));
    }
    // SameSite keeps the cookie from other sites, but every port of 127.0.0.1 is one site: the Origin check stops a
    // page served on another port (the service itself, any local server) from changing anything.
    const own = `http://${req.headers.host}`;
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.headers.origin !== own)
      return refuse(reply, 403, 'cross_origin', `changes are accepted only from pages of ${own}`);
  });
  app.setErrorHandler((err, _req, reply) => {
    // A client's mistake (malformed JSON, a content type not accepted) keeps its 4xx; only the dashboard's own failures are 500.
    const status = (err as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) return refuse(reply, status, 'bad_request', (err as Error).message);
    return refuse(reply, 500, 'internal', (err as Error).message);
  });

  const view = liveView(sources, traffic);
  let deciding: Promise<unknown> = Promise.resolve();

  app.get<{ Querystring: { token?: string } }>('/login', async (req, reply) => {
    const signedIn = typeof req.query.token === 'string' ? auth.redeem(req.query.token) : null;
    if (!signedIn)
      return reply.code(401).type('text/html; charset=utf-8').send(signInPage('This sign-in link was used already, or has expired.'));
    reply.setCookie(cookieName, signedIn.session, { path: '/', httpOnly: true, sameSite: 'strict', maxAge: SESSION_TTL_MS / 1000 });
    // To the clean URL: the token leaves the address bar and the history.
    return reply.redirect('/', 303);
  });
  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(dashboardPage(await view())));
  app.get('/api/state', async () => view());
  app.get('/api/view', async () => pageUpdate(await view()));
  app.post<{ Params: { id: string; action: string } }>('/api/releases/:id/:action', async (req, reply) => {
    const { id, action } = req.params;
    const decision = ACTIONS.find((a) => a === action);
    if (!decision || !RELEASE_ID.test(id)) return refuse(reply, 404, 'not_found', 'no such action');
    // One decision at a time: two clicks must not settle an interrupted release twice.
    const turn = deciding.then(() => sources.decide(id, decision));
    deciding = turn.catch(() => undefined);
    const result = await turn;
    if (!result.ok) return refuse(reply, 409, 'conflict', result.message);
    return reply.code(202).send({ release: id, action: decision, message: result.message });
  });
  app.get<{ Params: { id: string } }>('/releases/:id/report', async (req, reply) => {
    const { id } = req.params;
    const events = RELEASE_ID.test(id) ? sources.store.events(id) : [];
    if (events.length === 0) return refuse(reply, 404, 'not_found', `release ${id} has no events to report`);
    return reply.header('content-security-policy', REPORT_CSP).type('text/html; charset=utf-8').send(renderReport(events));
  });
  app.get(STYLE_PATH, async (_req, reply) => reply.type('text/css; charset=utf-8').send(DASHBOARD_CSS));
  app.get(SCRIPT_PATH, async (_req, reply) => reply.type('text/javascript; charset=utf-8').send(await clientScript()));

  await app.listen({ host: '127.0.0.1', port: options.port });
  const { port } = app.server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  // Cookies are kept per host, not per port: the port in the name keeps two stacks' dashboards apart.
  cookieName = `slipway_dashboard_${port}`;
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);

  return {
    url: origin,
    signInLink() {
      const { token, expiresAt } = auth.issueSignInToken();
      return { url: `${origin}/login?token=${token}`, dashboardUrl: origin, expiresAt: new Date(expiresAt).toISOString() };
    },
    close: () => app.close(),
  };
}

const isApi = (req: FastifyRequest) => req.url.startsWith('/api/');

function refuse(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send({ error: { code, message } });
}

/** The page's state now, the router's counters sampled at most about once a second however many pages ask. */
function liveView({ backend, store }: DashboardSources, traffic: TrafficWindow): () => Promise<DashboardState> {
  let sampling: Promise<void> | null = null;
  const sample = () => {
    if (!traffic.wantsSample(Date.now())) return Promise.resolve();
    sampling ??= backend
      .metrics()
      .then((m) => traffic.add(Date.now(), m))
      .finally(() => (sampling = null));
    return sampling;
  };
  return async () => {
    const [state] = await Promise.all([backend.state(), sample()]);
    const lock = store.readLock();
    return dashboardState({
      now: new Date(),
      backend: state,
      stable: store.stable(),
      lock,
      lockHolderAlive: lock !== null && isProcessAlive(lock.pid),
      events: lock && lock.release !== BUILDING ? store.events(lock.release) : [],
      history: store.history(),
      hasEvents: (id) => store.lastEvent(id) !== null,
      live: (id) => traffic.figures(id),
      liveWindowMs: traffic.spanMs(),
    });
  };
}

let script: Promise<string> | undefined;
/** The page's script, compiled by its own tsconfig next to this module's output (see client/). */
function clientScript(): Promise<string> {
  script ??= readFile(new URL('./client/dashboard.js', import.meta.url), 'utf8').catch((err: Error) => {
    script = undefined;
    throw new Error(`the dashboard's script is not built (npm run build): ${err.message}`);
  });
  return script;
}
