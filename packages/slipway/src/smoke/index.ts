export * from './types.js';
export { runSmoke, newRunId, type SmokeOptions } from './runner.js';
export { formatCheckLine, formatSummary, toJUnit, redact } from './report.js';
export { smokeCommand, parseFlagDuration, UsageError, EXIT, type SmokeCommandOptions } from './command.js';
export { readSecrets, TokenFileError, type TokenFile } from './secrets.js';
