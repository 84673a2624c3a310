import { z } from 'zod';

// Zod schemas for environment variables. Every input is a string or undefined (unset);
// `loadConfig` has already turned empty strings into undefined.

interface RangeOptions {
  min?: number;
  max?: number;
}

function withinRange(schema: z.ZodNumber, { min, max }: RangeOptions): z.ZodNumber {
  let bounded = schema;
  if (min !== undefined) bounded = bounded.min(min, `must be at least ${min}`);
  if (max !== undefined) bounded = bounded.max(max, `must be at most ${max}`);
  return bounded;
}

function integerSchema(range: RangeOptions) {
  return z
    .string()
    .trim()
    .regex(/^[+-]?\d+$/, 'must be an integer')
    .transform(Number)
    .pipe(withinRange(z.number().int('must be a safe integer'), range));
}

function numberSchema(range: RangeOptions) {
  return z
    .string()
    .trim()
    .regex(/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/, 'must be a number')
    .transform(Number)
    .pipe(withinRange(z.number(), range));
}

const TRUE_WORDS = new Set(['true', '1', 'yes']);
const FALSE_WORDS = new Set(['false', '0', 'no']);

function booleanSchema() {
  return z.string().transform((raw, ctx) => {
    const word = raw.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
    ctx.addIssue({ code: 'custom', message: 'must be one of true/false/1/0/yes/no' });
    return z.NEVER;
  });
}

function urlSchema() {
  return z.url({ error: 'must be a valid absolute URL' });
}

export type EnvIntSchema = ReturnType<typeof integerSchema>;
export type EnvNumberSchema = ReturnType<typeof numberSchema>;
export type EnvBoolSchema = ReturnType<typeof booleanSchema>;
export type EnvUrlSchema = ReturnType<typeof urlSchema>;

export function envInt(options: RangeOptions & { default: number }): z.ZodDefault<EnvIntSchema>;
export function envInt(options?: RangeOptions & { default?: undefined }): z.ZodOptional<EnvIntSchema>;
export function envInt(options: RangeOptions & { default?: number } = {}) {
  const schema = integerSchema(options);
  return options.default === undefined ? schema.optional() : schema.default(options.default);
}

export function envNumber(options: RangeOptions & { default: number }): z.ZodDefault<EnvNumberSchema>;
export function envNumber(options?: RangeOptions & { default?: undefined }): z.ZodOptional<EnvNumberSchema>;
export function envNumber(options: RangeOptions & { default?: number } = {}) {
  const schema = numberSchema(options);
  return options.default === undefined ? schema.optional() : schema.default(options.default);
}

/** Accepts true/false/1/0/yes/no (any case); anything else is a config error. */
export function envBool(defaultValue: boolean): z.ZodDefault<EnvBoolSchema>;
export function envBool(defaultValue?: undefined): z.ZodOptional<EnvBoolSchema>;
export function envBool(defaultValue?: boolean) {
  const schema = booleanSchema();
  return defaultValue === undefined ? schema.optional() : schema.default(defaultValue);
}

export function envString(defaultValue: string): z.ZodDefault<z.ZodString>;
export function envString(defaultValue?: undefined): z.ZodOptional<z.ZodString>;
export function envString(defaultValue?: string) {
  return defaultValue === undefined ? z.string().optional() : z.string().default(defaultValue);
}

export function envUrl(optional: true): z.ZodOptional<EnvUrlSchema>;
export function envUrl(optional?: false): EnvUrlSchema;
export function envUrl(optional = false) {
  return optional ? urlSchema().optional() : urlSchema();
}
