// The streams dashboards and Slipway's own (backups and drills), built with Grafana's foundation SDK.
// `npm run dashboards` writes them as JSON into deploy/monitoring/dashboards/, which Grafana provisioning
// (compose.observability.yml) loads, and the chart's dashboard ConfigMaps the streams ones; a test fails when the JSON
// there is not what this file builds.
import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import { DashboardBuilder, DatasourceVariableBuilder, RowBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };
/** User traffic: the probe routes are left out, as in the alert rules. */
const USER = 'route!~"/health/.*|/healthz|/readyz"';

/** The share of user requests answered 5xx over `window`, per `by` label (all together when none). */
function errorRatio(window: string, by?: string): string {
  const sum = by ? `sum by (${by}) ` : 'sum';
  return `${sum}(rate(http_requests_total{status=~"5..", ${USER}}[${window}])) / ${sum}(rate(http_requests_total{${USER}}[${window}]))`;
}

/** A quantile of user request latency, per `by` label (all together when none). */
function latency(quantile: number, by?: string): string {
  return `histogram_quantile(${quantile}, sum by (${by ? `${by}, ` : ''}le) (rate(http_request_duration_seconds_bucket{${USER}}[$__rate_interval])))`;
}

function query(expr: string, legend: string): Builder<Dataquery> {
  return new DataqueryBuilder().expr(expr).legendFormat(legend).datasource(DATASOURCE);
}

function timeseries(title: string, unit: string, description: string, ...targets: Builder<Dataquery>[]): TimeseriesPanel {
  const panel = new TimeseriesPanel().title(title).description(description).unit(unit).datasource(DATASOURCE).height(8).span(12);
  for (const target of targets) panel.withTarget(target);
  return panel;
}

function stat(title: string, unit: string, description: string, target: Builder<Dataquery>): StatPanel {
  return new StatPanel().title(title).description(description).unit(unit).datasource(DATASOURCE).height(4).span(6).withTarget(target);
}

function dashboard(uid: string, title: string, description: string): DashboardBuilder {
  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['streams', 'slipway'])
    .refresh('30s')
    .time({ from: 'now-3h', to: 'now' })
    .timezone('browser')
    .readonly()
    .withVariable(new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'));
}

function overview(): Dashboard {
  return dashboard(
    'streams-overview',
    'Streams / Service overview',
    'Requests, errors and latency of the streams API, by route and by release version.',
  )
    .withRow(new RowBuilder('Now'))
    .withPanel(
      stat(
        'Requests',
        'reqps',
        'User requests per second, all instances.',
        query(`sum(rate(http_requests_total{${USER}}[$__rate_interval]))`, 'requests'),
      ),
    )
    .withPanel(
      stat(
        '5xx ratio',
        'percentunit',
        'Share of user requests answered with a server error (SLO: under 0.1% over 30 days).',
        query(errorRatio('$__rate_interval'), '5xx'),
      ),
    )
    .withPanel(stat('p95 latency', 's', 'The 95th percentile of user request latency (SLO: under 500 ms).', query(latency(0.95), 'p95')))
    .withPanel(
      stat(
        'Error budget burn (1h)',
        'none',
        'How fast errors spend the 30-day budget: 1 is exactly on budget, 14.4 pages.',
        query(`(${errorRatio('1h')}) / 0.001`, 'burn rate'),
      ),
    )
    .withRow(new RowBuilder('By route'))
    .withPanel(
      timeseries(
        'Request rate by route',
        'reqps',
        'User requests per second, by route template.',
        query(`sum by (route) (rate(http_requests_total{${USER}}[$__rate_interval]))`, '{{route}}'),
      ),
    )
    .withPanel(
      timeseries(
        'Error rate by route',
        'reqps',
        'Requests per second answered 4xx and 5xx, by route and status.',
        query(`sum by (route, status) (rate(http_requests_total{status=~"[45]..", ${USER}}[$__rate_interval]))`, '{{route}} {{status}}'),
      ),
    )
    .withPanel(
      timeseries(
        'Latency by route',
        's',
        'p95 and p99 of user request latency, by route template.',
        query(latency(0.95, 'route'), 'p95 {{route}}'),
        query(latency(0.99, 'route'), 'p99 {{route}}'),
      ),
    )
    .withRow(new RowBuilder('By release version'))
    .withPanel(
      timeseries(
        'Request rate by version',
        'reqps',
        'User requests per second served by each release version: a canary shows up here.',
        query(`sum by (version) (rate(http_requests_total{${USER}}[$__rate_interval]))`, '{{version}}'),
      ),
    )
    .withPanel(
      timeseries(
        '5xx ratio by version',
        'percentunit',
        'Share of requests answered 5xx, by release version.',
        query(errorRatio('$__rate_interval', 'version'), '{{version}}'),
      ),
    )
    .withPanel(
      timeseries(
        'Latency by version',
        's',
        'p95 and p99 of user request latency, by release version.',
        query(latency(0.95, 'version'), 'p95 {{version}}'),
        query(latency(0.99, 'version'), 'p99 {{version}}'),
      ),
    )
    .build();
}

function business(): Dashboard {
  return dashboard(
    'streams-business',
    'Streams / Business',
    'Money moved by real users (synthetic smoke-test users are not counted), streams and settlements.',
  )
    .withPanel(stat('Active streams', 'none', 'Streams not yet cancelled or settled.', query('max(streams_active_streams)', 'active')))
    .withPanel(
      stat(
        'Streams created (24h)',
        'none',
        'Streams created by real users over the last day.',
        query('sum(increase(streams_ledger_movements_total{kind="stream_create"}[24h]))', 'created'),
      ),
    )
    .withPanel(
      stat(
        'Users registered (24h)',
        'none',
        'Users registered through the API over the last day.',
        query('sum(increase(streams_users_registered_total[24h]))', 'registered'),
      ),
    )
    .withPanel(
      stat(
        'Refused requests (1h)',
        'none',
        'Requests the API refused under a rule of the domain or the ledger.',
        query('sum(increase(streams_api_refusals_total[1h]))', 'refused'),
      ),
    )
    .withPanel(
      timeseries(
        'Money movements',
        'ops',
        'Movements per second by kind (create, withdraw, cancel, faucet) and currency.',
        query('sum by (kind, currency) (rate(streams_ledger_movements_total[$__rate_interval]))', '{{kind}} {{currency}}'),
      ),
    )
    .withPanel(
      timeseries(
        'Volume moved',
        'none',
        'Minor units moved per second by real users, by kind and currency.',
        query('sum by (kind, currency) (rate(streams_ledger_volume_minor_units_total[$__rate_interval]))', '{{kind}} {{currency}}'),
      ),
    )
    .withPanel(
      timeseries(
        'Volume settled',
        'none',
        'Minor units paid to recipients by the worker when streams end, per second, by currency.',
        query('sum by (currency) (rate(streams_settled_volume_minor_units_total[$__rate_interval]))', '{{currency}}'),
      ),
    )
    .withPanel(
      timeseries(
        'Refusals by code',
        'reqps',
        'Requests refused by the API per second, by error code.',
        query('sum by (code) (rate(streams_api_refusals_total[$__rate_interval]))', '{{code}}'),
      ),
    )
    .build();
}

function databaseAndWorker(): Dashboard {
  return dashboard('streams-database-worker', 'Streams / Database and worker', 'Query latency and outcomes, the indexer and settlements.')
    .withRow(new RowBuilder('Database'))
    .withPanel(
      timeseries(
        'Query latency by operation',
        's',
        'p95 of database query time, by SQL operation or prepared statement name.',
        query(
          'histogram_quantile(0.95, sum by (operation, le) (rate(db_query_duration_seconds_bucket[$__rate_interval])))',
          '{{operation}}',
        ),
      ),
    )
    .withPanel(
      timeseries(
        'Queries by outcome',
        'ops',
        'Queries per second, by service and outcome (ok or error).',
        query('sum by (service, outcome) (rate(db_query_duration_seconds_count[$__rate_interval]))', '{{service}} {{outcome}}'),
      ),
    )
    .withRow(new RowBuilder('Indexer'))
    .withPanel(
      timeseries(
        'Indexer lag',
        's',
        'Age of the oldest journal not yet in the activity feed.',
        query('max(streams_indexer_lag_seconds)', 'lag'),
      ),
    )
    .withPanel(
      timeseries(
        'Indexing',
        'none',
        'Journals waiting, and entries indexed per second.',
        query('max(streams_indexer_lag_journals)', 'journals waiting'),
        query('sum(rate(streams_indexer_entries_total[$__rate_interval]))', 'entries indexed/s'),
      ),
    )
    .withPanel(
      stat(
        'Indexer holders',
        'none',
        'Worker processes holding the indexer lease (should be 1).',
        query('sum(streams_indexer_active)', 'active'),
      ),
    )
    .withRow(new RowBuilder('Settlement'))
    .withPanel(
      timeseries(
        'Settlement backlog',
        'none',
        'Active streams past their end, not yet settled.',
        query('max(streams_settlement_backlog)', 'waiting'),
      ),
    )
    .withPanel(
      timeseries(
        'Settlement delay',
        's',
        'Time since the longest-overdue unsettled stream ended, and settlements per second.',
        query('max(streams_settlement_overdue_seconds)', 'overdue'),
        query('sum(rate(streams_settlements_total[$__rate_interval]))', 'settled/s'),
      ),
    )
    .build();
}

/** What `slipway up` serves on backup.metricsPort: base backups, WAL archiving and restore drills. */
function backups(): Dashboard {
  const newestBackupAge = 'time() - max(slipway_backup_last_success_timestamp_seconds)';
  const lastDrillAge = 'time() - max(slipway_drill_last_timestamp_seconds)';
  return dashboard(
    'slipway-backups',
    'Slipway / Backups and restore drills',
    'Base backups, WAL archiving and restore drills of the embedded database: what can be restored, and how fast.',
  )
    .withRow(new RowBuilder('Now'))
    .withPanel(stat('Newest backup', 's', 'Time since the newest base backup ended.', query(newestBackupAge, 'age')))
    .withPanel(
      stat(
        'Last drill',
        'none',
        'Whether the last restore drill passed (1) or failed (0).',
        query('min(slipway_drill_last_success)', 'passed'),
      ),
    )
    .withPanel(
      stat(
        'RTO',
        's',
        "The last drill's recovery time: from the restore's start to the copy answering.",
        query('max(slipway_drill_rto_seconds)', 'RTO'),
      ),
    )
    .withPanel(
      stat(
        'RPO',
        's',
        "The last drill's recovery point: the commits the copy lacked, in seconds.",
        query('max(slipway_drill_rpo_seconds)', 'RPO'),
      ),
    )
    .withRow(new RowBuilder('WAL archiving'))
    .withPanel(
      timeseries(
        'Archive lag',
        's',
        'The last commit minus the last archived WAL file: what a loss now would cost (alert: SlipwayWalArchiveLagging).',
        query('max(slipway_wal_archive_lag_seconds)', 'lag'),
      ),
    )
    .withPanel(
      timeseries(
        'Segments archived and failed',
        'ops',
        'WAL files archived per second, and failed attempts (alert: SlipwayWalArchivingFailing).',
        query('sum(rate(slipway_wal_archived_segments[$__rate_interval]))', 'archived/s'),
        query('sum(rate(slipway_wal_archive_failures[$__rate_interval]))', 'failed/s'),
      ),
    )
    .withRow(new RowBuilder('Backups and drills'))
    .withPanel(
      timeseries(
        'Base backups',
        's',
        'Time since the newest base backup, against its schedule (alert: SlipwayBackupTooOld at 1.5 times).',
        query(newestBackupAge, 'newest backup'),
        query('max(slipway_backup_schedule_seconds)', 'schedule'),
      ),
    )
    .withPanel(
      timeseries(
        'Backups kept',
        'bytes',
        'Bytes the kept base backups take in the repository.',
        query('max(slipway_backup_stored_bytes)', 'stored'),
      ),
    )
    .withPanel(
      timeseries(
        'Drill RTO and RPO',
        's',
        'Recovery time and recovery point of the last drill, as they change drill after drill.',
        query('max(slipway_drill_rto_seconds)', 'RTO'),
        query('max(slipway_drill_rpo_seconds)', 'RPO'),
      ),
    )
    .withPanel(
      timeseries(
        'Drills',
        's',
        'Time since the last drill, against its schedule (alert: SlipwayDrillTooOld).',
        query(lastDrillAge, 'last drill'),
        query('max(slipway_drill_schedule_seconds)', 'schedule'),
      ),
    )
    .build();
}

/** The streams service's dashboards by file name. */
export function streamsDashboards(): Record<string, Dashboard> {
  return {
    'streams-overview.json': overview(),
    'streams-business.json': business(),
    'streams-database-worker.json': databaseAndWorker(),
  };
}

/** Slipway's own dashboards (what `slipway up` serves beside the service) by file name. */
export function slipwayDashboards(): Record<string, Dashboard> {
  return { 'slipway-backups.json': backups() };
}

/** Every dashboard deploy/monitoring/dashboards holds. */
export function allDashboards(): Record<string, Dashboard> {
  return { ...streamsDashboards(), ...slipwayDashboards() };
}

/** A dashboard file's text: two-space JSON with a final newline. */
export function dashboardJson(board: Dashboard): string {
  return `${JSON.stringify(board, null, 2)}\n`;
}

/** Every PromQL expression of a dashboard's panels, with the panel's title. */
export function dashboardQueries(board: Dashboard): { panel: string; expr: string }[] {
  const queries: { panel: string; expr: string }[] = [];
  for (const panel of board.panels ?? []) {
    if (!('targets' in panel)) continue;
    for (const target of panel.targets ?? []) {
      const expr = (target as { expr?: string }).expr;
      if (expr) queries.push({ panel: panel.title ?? '', expr });
    }
  }
  return queries;
}
