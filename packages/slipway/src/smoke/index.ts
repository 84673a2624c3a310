export * from './types.js';
export { runSmoke, newRunId, type SmokeOptions } from './runner.js';
export { formatCheckLine, formatSummary, toJUnit, redact } from './report.js';
export { smokeCommand, readSecrets, parseDuration, UsageError, EXIT, type SmokeCommandOptions } from './command.js';
