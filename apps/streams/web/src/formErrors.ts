// Server error state for a form: a message for the alert plus the fields it concerns.
import { ApiError } from './api';
import { describeError, detailsField, validationIssues } from './errors';

export interface ServerError<F extends string> {
  message: string;
  /** Extra lines for the alert (validation details), already prefixed with the field label. */
  lines: string[];
  /** Fields to mark aria-invalid (described by the alert). */
  fields: F[];
}

export interface ServerErrorMapping<F extends string> {
  /** Field label by form field, used to prefix validation detail lines. */
  labels: Record<F, string>;
  /** Server body property (last path segment) → form field. */
  paths?: Partial<Record<string, F>>;
  /** Error code → form field it is about (e.g. insufficient_funds → deposit). */
  codes?: Partial<Record<string, F>>;
}

export function toServerError<F extends string>(err: unknown, mapping: ServerErrorMapping<F>): ServerError<F> {
  const fields = new Set<F>();
  const lines: string[] = [];
  for (const issue of validationIssues(err)) {
    const field = issue.field === null ? undefined : mapping.paths?.[issue.field];
    if (field) fields.add(field);
    const label = field ? mapping.labels[field] : issue.field;
    lines.push(label ? `${label}: ${issue.message}` : issue.message);
  }
  const named = detailsField(err);
  const byDetails = named === null ? undefined : mapping.paths?.[named];
  if (byDetails) fields.add(byDetails);
  const byCode = err instanceof ApiError ? mapping.codes?.[err.code] : undefined;
  if (byCode) fields.add(byCode);
  return { message: describeError(err), lines, fields: [...fields] };
}
