/** A client mistake or a rule of the domain: becomes a 4xx JSON error, never a 5xx. */
export class DomainError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what = 'resource') => new DomainError(404, 'not_found', `${what} not found`);
export const conflict = (code: string, message: string, details?: unknown) => new DomainError(409, code, message, details);
export const unprocessable = (code: string, message: string, details?: unknown) => new DomainError(422, code, message, details);
