import { createService, loadConfig, runtimeConfigSchema, createLogger } from '../dist/index.js';
const config = loadConfig(runtimeConfigSchema, { PORT: '0', METRICS_PORT: '0', FAULTS_ENABLED: 'true', ADMIN_TOKEN: 'x'.repeat(16) });
const service = await createService({ name: 'smoke', config });
service.app.get('/things/:id', async (req) => ({ id: req.params.id }));
service.app.post('/things', async (req) => req.body);
service.app.get('/boom', async () => { throw new Error('kaboom secret'); });
await service.app.ready();
for (const [method, url, extra] of [['GET','/things/123'],['GET','/nope?x=1'],['POST','/things',{payload:'{bad', headers:{'content-type':'application/json'}}],['POST','/things',{payload:'x', headers:{'content-type':'text/xml'}}],['GET','/boom'],['GET','/readyz'],['GET','/health/startup'],['GET','/admin/faults'], ['GET','/admin/faults', {headers:{authorization:'Bearer ' + 'x'.repeat(16)}}]]) {
  const r = await service.app.inject({ method, url, ...extra });
  console.log(method, url, r.statusCode, r.headers['x-request-id'], r.body);
}
console.log((await service.metrics.registry.metrics()).split('\n').filter(l => l.startsWith('http_requests_total')).join('\n'));
await service.app.close();
