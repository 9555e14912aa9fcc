/**
 * Command-line parsing against a declared command: every flag a command takes is declared once
 * (type, placeholder, help line), and the same declaration drives parsing, `--help` and the
 * refusal of anything undeclared. Nothing here loads a command's implementation.
 */
import { parseArgs } from 'node:util';
import { CliCode, CliError } from './errors.ts';

export interface FlagSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  default?: string | boolean;
  short?: string;
  /** Placeholder shown in help, e.g. FILE. */
  arg?: string;
  help: string;
}

export type Flags = Record<string, FlagSpec>;

export type Values<F extends Flags> = {
  [K in keyof F]: F[K]['type'] extends 'boolean' ? boolean | undefined : F[K] extends { multiple: true } ? string[] | undefined : string | undefined;
};

export interface Parsed<F extends Flags> {
  values: Values<F>;
  positionals: string[];
}

export type Handler<F extends Flags> = (p: Parsed<F>) => Promise<number>;

export interface PositionalSpec {
  name: string;
  help: string;
  choices?: readonly string[];
}

export interface CommandSpec<F extends Flags = Flags> {
  /** As typed after `place-agent`, e.g. `authority issue`. */
  name: string;
  summary: string;
  /** The synopsis after the command name. */
  usage: string;
  positionals?: readonly PositionalSpec[];
  flags: F;
  examples: readonly string[];
  /** Extra paragraphs for --help. */
  notes?: string;
  /** Flags refused with a reason rather than as unknown (e.g. a secret that must not be on the command line). */
  refused?: Readonly<Record<string, string>>;
  load(): Promise<Handler<F>>;
}

export function defineCommand<const F extends Flags>(spec: CommandSpec<F>): CommandSpec {
  return spec as unknown as CommandSpec;
}

export const EXIT_CODES_TEXT = 'exit codes: 0 success; 1 verification or decoding found failures; 2 usage, configuration or input file error (nothing opened); 3 runtime error (key, store, broker, TPM, port)';

export function wantsHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

/** Parses `args` for `spec`; an undeclared flag, a missing value or a stray argument is a USAGE error naming it. */
export function parseCommand<F extends Flags>(spec: CommandSpec<F>, args: string[]): Parsed<F> {
  const names = new Set(Object.keys(spec.flags));
  const shorts = new Set(Object.values(spec.flags).flatMap((f) => (f.short ? [f.short] : [])));
  for (const a of args) {
    if (a === '--') break;
    if (!a.startsWith('-') || a === '-') continue;
    if (a.startsWith('--')) {
      const name = a.slice(2).split('=')[0]!;
      if (names.has(name)) continue;
      const why = spec.refused?.[name];
      if (why) throw new CliError(CliCode.USAGE, `--${name}: ${why}`, { flag: `--${name}` });
      const near = [...names].find((n) => distance(n, name) <= 2);
      throw new CliError(CliCode.USAGE, `unknown flag --${name} for "place-agent ${spec.name}"${near ? ` (did you mean --${near}?)` : ''}; place-agent ${spec.name} --help lists its flags`, { flag: `--${name}` });
    }
    const short = a.slice(1, 2);
    if (!shorts.has(short) && !/^-\d/.test(a)) throw new CliError(CliCode.USAGE, `unknown flag -${short} for "place-agent ${spec.name}"; place-agent ${spec.name} --help lists its flags`, { flag: `-${short}` });
  }
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; default?: string | boolean; short?: string }> = {};
  for (const [k, f] of Object.entries(spec.flags)) {
    options[k] = { type: f.type, ...(f.multiple ? { multiple: true } : {}), ...(f.default !== undefined ? { default: f.default } : {}), ...(f.short ? { short: f.short } : {}) };
  }
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (e) {
    const msg = (e as Error).message.split('. ')[0]!.replace(/^Option '([^']+)'/, 'flag $1');
    throw new CliError(CliCode.USAGE, `${msg} ("place-agent ${spec.name}"; place-agent ${spec.name} --help)`);
  }
  const allowed = spec.positionals ?? [];
  if (parsed.positionals.length > allowed.length) {
    const stray = parsed.positionals[allowed.length]!;
    throw new CliError(CliCode.USAGE, `unexpected argument ${JSON.stringify(stray)} for "place-agent ${spec.name}"; place-agent ${spec.name} --help`, { argument: stray });
  }
  parsed.positionals.forEach((p, i) => {
    const choices = allowed[i]!.choices;
    if (choices && !choices.includes(p)) throw new CliError(CliCode.USAGE, `${allowed[i]!.name} must be one of ${choices.join(', ')}, got ${JSON.stringify(p)}`);
  });
  return parsed as unknown as Parsed<F>;
}

/** A string flag that must hold a number in [min, max]. */
export function numberFlag(value: string | undefined, name: string, min: number, max: number, integer = true): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    throw new CliError(CliCode.USAGE, `--${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(value)}`, { flag: `--${name}` });
  }
  return n;
}

export function renderHelp(spec: CommandSpec): string {
  const lines = [`place-agent ${spec.name}: ${spec.summary}`, '', `usage: place-agent ${spec.name} ${spec.usage}`.trimEnd(), ''];
  const rows: [string, string][] = [];
  for (const p of spec.positionals ?? []) rows.push([p.name, p.help + (p.choices ? ` (${p.choices.join(', ')})` : '')]);
  for (const [k, f] of Object.entries(spec.flags)) {
    const left = `${f.short ? `-${f.short}, ` : ''}--${k}${f.type === 'string' ? ` ${f.arg ?? 'VALUE'}` : ''}`;
    const def = f.default !== undefined && f.type === 'string' ? ` (default ${f.default})` : '';
    rows.push([left, f.help + (f.multiple ? '; may be repeated' : '') + def]);
  }
  rows.push(['-h, --help', 'this help']);
  const width = Math.min(32, Math.max(...rows.map((r) => r[0].length)) + 2);
  lines.push('arguments and flags:');
  for (const [l, r] of rows) lines.push(l.length + 2 > width ? `  ${l}\n  ${' '.repeat(width)}${r}` : `  ${l.padEnd(width)}${r}`);
  if (spec.notes) lines.push('', spec.notes);
  lines.push('', spec.examples.length > 1 ? 'examples:' : 'example:', ...spec.examples.map((e) => `  ${e}`), '', EXIT_CODES_TEXT, '');
  return lines.join('\n');
}
