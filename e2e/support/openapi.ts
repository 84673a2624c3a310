// Checks API responses against the response schemas of the service's own OpenAPI document.
// A deliberately small JSON-schema checker: it knows exactly the keywords the document uses and
// refuses any other, so a schema it cannot judge fails loudly instead of passing silently.
import { expect, type APIRequestContext, type APIResponse } from '@playwright/test';

export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null';
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  nullable?: boolean;
  description?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  default?: unknown;
}

const KNOWN_KEYWORDS = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'pattern',
  'format',
  'nullable',
  'description',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'default',
]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Every way `value` breaks `schema`, as "$.path: problem" lines (empty when it conforms). */
export function validate(schema: Schema, value: unknown, at = '$'): string[] {
  for (const keyword of Object.keys(schema)) {
    if (!KNOWN_KEYWORDS.has(keyword)) throw new Error(`schema at ${at} uses "${keyword}", which this checker does not implement`);
  }
  if (value === null && schema.nullable) return [];
  const errors: string[] = [];
  const actual = typeOf(value);
  if (schema.type !== undefined) {
    const fits = schema.type === actual || (schema.type === 'number' && actual === 'integer');
    if (!fits) return [`${at}: expected ${schema.type}${schema.nullable ? ' or null' : ''}, got ${actual}`];
  }
  if (schema.enum !== undefined && !schema.enum.some((option) => option === value)) {
    errors.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  }
  if (typeof value === 'string') {
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) {
      errors.push(`${at}: ${JSON.stringify(value)} does not match /${schema.pattern}/`);
    }
    if (schema.format === 'uuid' && !UUID.test(value)) errors.push(`${at}: ${JSON.stringify(value)} is not a uuid`);
    else if (schema.format !== undefined && schema.format !== 'uuid') throw new Error(`schema at ${at}: unknown format ${schema.format}`);
    if (schema.minLength !== undefined && value.length < schema.minLength) errors.push(`${at}: shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength) errors.push(`${at}: longer than ${schema.maxLength}`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${at}: ${value} < ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) errors.push(`${at}: ${value} > ${schema.maximum}`);
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => errors.push(...validate(schema.items!, item, `${at}[${i}]`)));
  }
  if (actual === 'object') {
    const object = value as Record<string, unknown>;
    for (const key of schema.required ?? []) {
      if (!(key in object)) errors.push(`${at}: missing required property "${key}"`);
    }
    for (const [key, child] of Object.entries(object)) {
      const property = schema.properties?.[key];
      if (property) errors.push(...validate(property, child, `${at}.${key}`));
      else if (schema.additionalProperties === false) errors.push(`${at}: unexpected property "${key}"`);
      else if (typeof schema.additionalProperties === 'object')
        errors.push(...validate(schema.additionalProperties, child, `${at}.${key}`));
    }
  }
  return errors;
}

interface Operation {
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
}

export class OpenApi {
  constructor(readonly document: OpenApiDocument) {}

  static async load(request: APIRequestContext): Promise<OpenApi> {
    const response = await request.get('/openapi.json');
    expect(response.status(), 'GET /openapi.json').toBe(200);
    return new OpenApi((await response.json()) as OpenApiDocument);
  }

  /** The JSON schema documented for `status` of `method path` (path as a template: /api/streams/{id}). */
  responseSchema(method: string, path: string, status: number): Schema {
    const operation = this.document.paths[path]?.[method.toLowerCase()];
    if (!operation) throw new Error(`the OpenAPI document has no ${method} ${path}`);
    const response = operation.responses?.[String(status)];
    if (!response) {
      throw new Error(
        `${method} ${path} does not document status ${status} (documented: ${Object.keys(operation.responses ?? {}).join(', ')})`,
      );
    }
    const schema = response.content?.['application/json']?.schema;
    if (!schema) throw new Error(`${method} ${path} ${status} has no application/json schema`);
    return schema;
  }

  /**
   * Asserts `response` has `status`, that the document lists that status for the operation, and
   * that the body matches its schema. Returns the parsed body.
   */
  async expectResponse<T = unknown>(response: APIResponse, method: string, path: string, status: number): Promise<T> {
    const text = await response.text();
    expect(response.status(), `${method} ${path} status (body: ${text})`).toBe(status);
    const schema = this.responseSchema(method, path, status);
    if (status === 204) {
      expect(text, `${method} ${path} 204 body`).toBe('');
      return undefined as T;
    }
    expect(response.headers()['content-type'] ?? '', `${method} ${path} content type`).toContain('application/json');
    const body: unknown = JSON.parse(text);
    expect(validate(schema, body), `${method} ${path} ${status} body against the OpenAPI schema: ${text}`).toEqual([]);
    return body as T;
  }
}
