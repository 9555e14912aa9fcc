/**
 * Loading and validating configuration. Every error names the field path, the value found and
 * what was expected; loading never touches the store, so a bad config exits before anything
 * is opened.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';
import { parse as parseYaml } from 'yaml';
import { resolvePlaceProfile } from './place-profile.ts';
import { ConfigSchema, SourceBase, SourceSchemas, type AgentConfig, type SourceType } from './schema.ts';
import { ConfigError, type ConfigIssue } from './errors.ts';

export const DEFAULT_CONFIG_PATH = '/etc/place-agent/config.yaml';

export { ConfigError, type ConfigIssue } from './errors.ts';

function show(v: unknown): string {
  if (v === undefined) return '(missing)';
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 57) + '...' : s;
}

export function formatIssues(issues: ConfigIssue[]): string {
  return issues.map((i) => `  ${i.path || '/'}: got ${show(i.value)}, expected ${i.expected}`).join('\n');
}

function check(schema: TSchema, value: unknown, prefix: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const e of Value.Errors(schema, value)) {
    const path = prefix + e.path;
    // Report one issue per path: the first is the most specific.
    if (issues.some((i) => i.path === path)) continue;
    const expected = e.schema.description ? `${e.message} (${e.schema.description})` : e.message;
    issues.push({ path, value: e.value, expected: e.message === 'Unexpected property' ? 'no such key' : expected });
  }
  return issues;
}

/** Validates an already-parsed document, applying defaults. Throws ConfigError listing every issue. */
export function validateConfig(doc: unknown): AgentConfig {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError('CONFIG_INVALID', 'configuration must be a mapping', [{ path: '/', value: doc, expected: 'a mapping of settings' }]);
  }
  const withDefaults = Value.Default(ConfigSchema, structuredClone(doc)) as Record<string, unknown>;
  const issues = check(ConfigSchema, withDefaults, '');
  const sources = Array.isArray(withDefaults.sources) ? withDefaults.sources : [];
  const ids = new Set<string>();
  sources.forEach((src, i) => {
    const at = `/sources/${i}`;
    const base = check(SourceBase, src, at);
    if (base.length) return issues.push(...base);
    const s = src as { id: string; type: string };
    const schema = SourceSchemas[s.type as SourceType];
    if (!schema) {
      issues.push({ path: `${at}/type`, value: s.type, expected: `one of ${Object.keys(SourceSchemas).join(', ')}` });
      return;
    }
    sources[i] = Value.Default(schema, src);
    issues.push(...check(schema, sources[i], at));
    if (ids.has(s.id)) issues.push({ path: `${at}/id`, value: s.id, expected: 'a source id not used by another source' });
    ids.add(s.id);
  });
  // A gateway whose configuration names a TPM signs with the TPM only: a software key beside
  // it would be a second, weaker identity for the same credential.
  const signer = withDefaults.signer as { kind?: unknown; keyFile?: unknown } | undefined;
  if (signer?.kind === 'tpm' && signer.keyFile !== undefined) issues.push({ path: '/signer/keyFile', value: signer.keyFile, expected: 'no software key file when signer.kind is tpm (the device key lives in the TPM)' });
  if (issues.length) throw new ConfigError('CONFIG_INVALID', `configuration is invalid:\n${formatIssues(issues)}`, issues);
  const cfg = withDefaults as unknown as AgentConfig;
  // The envelope's dimensions must be buildable from the sources as configured.
  resolvePlaceProfile(cfg);
  return cfg;
}

export function loadConfigFile(path: string): AgentConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError('CONFIG_UNREADABLE', `cannot read configuration ${path}: ${(e as Error).message}`, [{ path: '/', value: path, expected: 'a readable YAML file' }]);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { uniqueKeys: true, prettyErrors: true });
  } catch (e) {
    throw new ConfigError('CONFIG_YAML', `configuration ${path} is not valid YAML: ${(e as Error).message}`);
  }
  let cfg: AgentConfig;
  try {
    cfg = validateConfig(doc);
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(e.code, `${path}: ${e.message}`, e.issues);
    throw e;
  }
  // A Modbus profile given as a relative file path is relative to the configuration file.
  for (const s of cfg.sources) {
    if (s.type !== 'modbus') continue;
    for (const sl of s.slaves) if ((sl.profile.includes('/') || sl.profile.endsWith('.json')) && !isAbsolute(sl.profile)) sl.profile = resolve(dirname(path), sl.profile);
  }
  return cfg;
}
