import { describe, expect, it } from 'vitest';
import { createServiceLogger, stderrIsJournal } from '../../agent/ops/journal-log.ts';

describe('service logger', () => {
  it('prefixes journald priorities and keeps the JSON intact', () => {
    const lines: string[] = [];
    const log = createServiceLogger('agent', 'debug', { journal: true, write: (l) => lines.push(l) });
    log.error('store closed', { code: 'STORE_CLOSED' });
    log.warn('broker down');
    log.child('gnss').debug('fix');
    expect(lines.map((l) => l.slice(0, 3))).toEqual(['<3>', '<4>', '<7>']);
    expect(JSON.parse(lines[0]!.slice(3))).toMatchObject({ level: 'error', ns: 'agent', msg: 'store closed', code: 'STORE_CLOSED' });
    expect(JSON.parse(lines[2]!.slice(3))).toMatchObject({ ns: 'agent:gnss' });
  });

  it('never writes a field that names a secret, at any depth', () => {
    const lines: string[] = [];
    const log = createServiceLogger('mqtt', 'info', { journal: false, write: (l) => lines.push(l) });
    log.info('connecting', { broker: 'mqtts://b:8883', password: 'hunter2', tls: { privateKey: '-----BEGIN', ca: 'ok' }, authToken: 'abc' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('hunter2');
    expect(lines[0]).not.toContain('BEGIN');
    expect(lines[0]).not.toContain('abc');
    expect(JSON.parse(lines[0]!)).toMatchObject({ broker: 'mqtts://b:8883', password: '[redacted]', tls: { privateKey: '[redacted]', ca: 'ok' } });
  });

  it('uses priorities only when stderr is the journal stream', () => {
    expect(stderrIsJournal({})).toBe(false);
    expect(stderrIsJournal({ JOURNAL_STREAM: '1:1' })).toBe(false);
  });
});
