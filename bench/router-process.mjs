// The Slipway router as its own process, in front of one upstream:
// `node router-process.mjs <port> <upstream-url> [<cert.pem> <key.pem>]` (HTTPS with the certificate when given).
import { TrafficRouter } from '@slipway/slipway';

const [port, upstream, cert, key] = process.argv.slice(2);
const router = new TrafficRouter({ port: Number(port), host: '127.0.0.1', ...(cert && key ? { tls: { cert, key, watch: false } } : {}) });
router.setRoutes([{ release: 'bench', weight: 1, upstreams: [upstream] }]);
await router.start();
process.send?.('ready');
process.on('SIGTERM', () => void router.stop().then(() => process.exit(0)));
