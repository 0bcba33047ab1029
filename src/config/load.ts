import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { DomainError, type ErrorDetail } from '../domain/errors.ts';
import { configSchema, type Config } from './schema.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Coerce = 'string' | 'int' | 'bool';

/** Environment variables that override a key. Unset or empty means "keep the file's value". */
export const environmentOverrides: ReadonlyArray<readonly [string, string, Coerce]> = [
  ['PORT', 'server.port', 'int'],
  ['HOST', 'server.host', 'string'],
  ['PUBLIC_URL', 'server.publicUrl', 'string'],
  ['DATABASE_URL', 'database.url', 'string'],
  ['DATA_DIR', 'dataDir', 'string'],
  ['AXIS_URL', 'axis.url', 'string'],
  ['DEMO_PASSWORD', 'demo.password', 'string'],
  ['LOG_LEVEL', 'log.level', 'string'],
];

const isObject = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

function merge(base: Json, over: Json): Json {
  if (!isObject(base) || !isObject(over)) return over;
  const out: Record<string, Json> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? merge(out[k] as Json, v) : v;
  return out;
}

function setPath(target: Record<string, Json>, path: string, value: Json): void {
  const keys = path.split('.');
  let node: Record<string, Json> = target;
  for (const key of keys.slice(0, -1)) {
    if (!isObject(node[key])) node[key] = {};
    node = node[key] as Record<string, Json>;
  }
  node[keys[keys.length - 1] as string] = value;
}

function readJson(file: string, problems: ErrorDetail[]): Json {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Json;
  } catch (cause) {
    problems.push({ field: file, message: `cannot read configuration file: ${(cause as Error).message}` });
    return {};
  }
}

function coerce(name: string, raw: string, as: Coerce, problems: ErrorDetail[]): Json {
  if (as === 'string') return raw;
  if (as === 'bool') {
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
  } else if (/^-?\d+$/.test(raw)) {
    return Number(raw);
  }
  problems.push({ field: name, message: `environment variable ${name}=${JSON.stringify(raw)} is not a valid ${as}` });
  return null;
}

/**
 * Reads config/default.json, then config/<NODE_ENV>.json and the file named by EDOC_CONFIG when present,
 * then the environment overrides; validates every key once and reports every problem at once.
 */
export function loadConfig(options: { configDir: string; env: NodeJS.ProcessEnv }): Readonly<Config> {
  const problems: ErrorDetail[] = [];
  let raw = readJson(join(options.configDir, 'default.json'), problems);
  const layered = [options.env.NODE_ENV && join(options.configDir, `${options.env.NODE_ENV}.json`), options.env.EDOC_CONFIG];
  for (const file of layered) if (file && existsSync(file)) raw = merge(raw, readJson(file, problems));
  if (!isObject(raw)) raw = {};
  for (const [name, path, as] of environmentOverrides) {
    const value = options.env[name];
    if (value !== undefined && value !== '') setPath(raw as Record<string, Json>, path, coerce(name, value, as, problems));
  }
  // Production never seeds demo agencies nor trusts the development PKI, whatever the files say.
  if (options.env.NODE_ENV === 'production') {
    if (isObject(raw.demo)) raw.demo.seed = false;
    if (isObject(raw.pki)) raw.pki.devMode = false;
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push({ field: issue.path.join('.') || '(root)', message: issue.message });
  }
  if (problems.length > 0 || !parsed.success) throw new DomainError('config.invalid', { details: problems });
  return deepFreeze(parsed.data);
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (isObject(value)) for (const v of Object.values(value)) deepFreeze(v);
  return Object.freeze(value);
}
