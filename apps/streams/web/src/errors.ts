// Turns API errors into text for people, and validation details into per-field issues.
import { ApiError, NetworkError } from './api';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function retryAfterSeconds(err: ApiError): number | null {
  const fromDetails = isRecord(err.details) ? Number(err.details.retryAfterSeconds) : NaN;
  if (Number.isFinite(fromDetails) && fromDetails > 0) return Math.ceil(fromDetails);
  return err.retryAfterHeader === null ? null : Math.ceil(err.retryAfterHeader);
}

/** Server messages are lower-case fragments ("email or password is wrong"); show them as sentences. */
function sentence(message: string): string {
  return message.charAt(0).toUpperCase() + message.slice(1);
}

/** One sentence describing what went wrong. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 429 || err.code === 'rate_limited') {
      const s = retryAfterSeconds(err);
      return s === null ? 'Too many attempts, try again later' : `Too many attempts, try again in ${s} s`;
    }
    if (err.code === 'invalid_credentials') return 'Email or password is wrong';
    return sentence(err.message);
  }
  if (err instanceof NetworkError) return 'Could not reach the server. Check your connection and try again.';
  return 'Something went wrong. Please try again.';
}

export interface FieldIssue {
  /** Last segment of the reported path, e.g. "deposit" for "body.deposit" or ["body","deposit"]. */
  field: string | null;
  message: string;
}

function lastPathSegment(path: unknown): string | null {
  if (Array.isArray(path)) {
    const last: unknown = path[path.length - 1];
    return last === undefined || last === null ? null : String(last);
  }
  if (typeof path === 'string' && path !== '') {
    const parts = path.split(/[./]/).filter(Boolean);
    return parts[parts.length - 1] ?? null;
  }
  return null;
}

/** Field named by `details: {field}` (e.g. recipient_not_found → "recipientEmail"), if any. */
export function detailsField(err: unknown): string | null {
  if (!(err instanceof ApiError) || !isRecord(err.details)) return null;
  return typeof err.details.field === 'string' ? err.details.field : null;
}

/** `details` of a validation_failed error, when it is an array of `{path, message}`. */
export function validationIssues(err: unknown): FieldIssue[] {
  if (!(err instanceof ApiError) || !Array.isArray(err.details)) return [];
  const issues: FieldIssue[] = [];
  for (const d of err.details as unknown[]) {
    if (!isRecord(d) || typeof d.message !== 'string') continue;
    issues.push({ field: lastPathSegment(d.path), message: d.message });
  }
  return issues;
}
