/**
 * The command line's parsing and log rendering, without a process: undeclared flags are
 * named (with the near miss), values are checked, and a log entry reads as one human line
 * on a terminal while staying JSON elsewhere.
 */
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../agent/cli/commands.ts';
import { parseCommand, renderHelp } from '../../agent/cli/args.ts';
import { humanLine } from '../../agent/cli/log-sink.ts';

const spec = (name: string) => COMMANDS.find((c) => c.name === name)!;

describe('command-line parsing', () => {
  it('names an unknown flag and suggests the one meant', () => {
    expect(() => parseCommand(spec('verify'), ['--anchr', 'a'])).toThrow(/unknown flag --anchr for "place-agent verify" \(did you mean --anchor\?\)/);
    expect(() => parseCommand(spec('export'), ['-x'])).toThrow(/unknown flag -x/);
  });

  it('names a flag without its value and a stray argument', () => {
    expect(() => parseCommand(spec('verify'), ['--file'])).toThrow(/--file/);
    expect(() => parseCommand(spec('status'), ['extra'])).toThrow(/unexpected argument "extra"/);
    expect(() => parseCommand(spec('decode'), ['klingon'])).toThrow(/codec must be one of nmea/);
  });

  it('parses declared flags, defaults and repeats', () => {
    const p = parseCommand(spec('verify'), ['--anchor', 'a', '--anchor', 'b', '--file', 'f']);
    expect(p.values).toMatchObject({ anchor: ['a', 'b'], file: 'f' });
    expect(parseCommand(spec('decode'), ['nmea']).values).toMatchObject({ baud: '9600' });
  });

  it('help lists every flag with its placeholder and the exit codes', () => {
    const h = renderHelp(spec('authority grant'));
    for (const k of Object.keys(spec('authority grant').flags)) expect(h).toContain(`--${k}`);
    expect(h).toContain('--start T');
    expect(h).toMatch(/exit codes: 0 success/);
  });
});

describe('log lines', () => {
  it('renders a JSON log entry as one human line with its fields', () => {
    const line = humanLine(JSON.stringify({ ts: '2026-11-30T19:00:01.234Z', level: 'warn', ns: 'place-agent:mqtt', msg: 'broker unreachable', url: 'mqtt://x', attempt: 3 }));
    expect(line).toBe('19:00:01 WARN  place-agent:mqtt: broker unreachable  (url=mqtt://x attempt=3)');
  });
});
