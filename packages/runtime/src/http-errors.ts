import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance } from 'fastify';

/** The JSON shape of every error response. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

export interface ErrorResponse {
  statusCode: number;
  body: ErrorBody;
}

export interface ValidationDetail {
  location: string;
  path: string;
  message: string;
}

// Fastify's body-parsing failures, which carry a 4xx but deserve a precise code.
const BODY_ERRORS: Record<string, { statusCode: number; code: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { statusCode: 400, code: 'invalid_body' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { statusCode: 400, code: 'invalid_body' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { statusCode: 400, code: 'invalid_body' },
  FST_ERR_CTP_BODY_TOO_LARGE: { statusCode: 413, code: 'payload_too_large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { statusCode: 415, code: 'unsupported_media_type' },
};

const APP_ERROR_CODE = /^[a-z][a-z0-9_]*$/;

/** Maps any error reaching Fastify's error handler to a status and a safe JSON body. */
export function toErrorResponse(error: FastifyError): ErrorResponse {
  if (Array.isArray(error.validation)) {
    return {
      statusCode: 400,
      body: errorBody('validation_failed', 'request validation failed', validationDetails(error)),
    };
  }

  const bodyError = BODY_ERRORS[error.code];
  if (bodyError) {
    return { statusCode: bodyError.statusCode, body: errorBody(bodyError.code, error.message) };
  }

  const statusCode = error.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    // Errors the app raised on purpose (`code: 'insufficient_funds', statusCode: 409`)
    // keep their code; framework and library codes (FST_..., E...) become a status word.
    const code = APP_ERROR_CODE.test(error.code ?? '') ? error.code : statusCodeWord(statusCode);
    const details = (error as { details?: unknown }).details;
    return { statusCode, body: errorBody(code, error.message, details) };
  }

  return { statusCode: 500, body: errorBody('internal_error', 'internal server error') };
}

function validationDetails(error: FastifyError): ValidationDetail[] {
  const location = error.validationContext ?? 'request';
  return (error.validation ?? []).map((issue) => {
    const missing = (issue.params as { missingProperty?: unknown } | undefined)?.missingProperty;
    const path = typeof missing === 'string' ? `${issue.instancePath}/${missing}` : issue.instancePath;
    return { location, path: path || '/', message: issue.message ?? 'is invalid' };
  });
}

function statusCodeWord(statusCode: number): string {
  return (STATUS_CODES[statusCode] ?? 'client error').toLowerCase().replace(/[^a-z0-9]+/g, '_');
}

/** JSON 404s for unknown routes and JSON errors for everything else; 5xx are logged with the stack. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0];
    return reply.code(404).send(errorBody('not_found', `no route for ${request.method} ${path}`));
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { statusCode, body } = toErrorResponse(error);
    if (statusCode >= 500) {
      request.log.error({ err: error }, 'request failed');
    } else {
      request.log.info({ code: body.error.code, reason: error.message }, 'request rejected');
    }
    return reply.code(statusCode).send(body);
  });
}
