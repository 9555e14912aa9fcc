import { afterEach, describe, expect, it } from 'vitest';
import { CodedError, ErrorCounter, codeOf } from '../../core/coded-error.ts';
import { AisError } from '../../drivers/ais/errors.ts';
import { NmeaError } from '../../drivers/nmea/errors.ts';
import { FieldError } from '../../drivers/nmea/fields.ts';

class DockError extends CodedError<'DOCK_JAMMED'> {}

/** Stack frames below the "Name: message" header line. */
const frames = (e: Error): string[] => (e.stack ?? '').split('\n').slice(1);

describe('CodedError', () => {
  const saved = CodedError.captureStacks;
  afterEach(() => {
    CodedError.captureStacks = saved;
  });

  it('captures no stack trace for any subsystem, and leaves other errors theirs', () => {
    CodedError.captureStacks = false;
    const cause = new Error('EIO on /dev/ttyUSB0');
    const made = [
      new NmeaError('NMEA_BAD_CHECKSUM', 'checksum 4A does not match', { raw: '$GPGGA' }),
      new AisError('AIS_TOO_SHORT', 'type 1 needs 168 bits'),
      new FieldError('latitude', '9x'),
      new DockError('DOCK_JAMMED', 'door did not close', { door: 2 }, { cause }),
    ];
    for (const e of made) expect(frames(e), e.name).toEqual([]);
    expect(frames(new Error('an ordinary one')).length, 'Error.stackTraceLimit restored').toBeGreaterThan(0);
    expect(frames(cause).length).toBeGreaterThan(0);
  });

  it('keeps code, message, details, name and cause', () => {
    CodedError.captureStacks = false;
    const cause = new Error('EIO');
    const e = new DockError('DOCK_JAMMED', 'door did not close', { door: 2 }, { cause });
    expect(e).toBeInstanceOf(Error);
    expect({ name: e.name, code: e.code, message: e.message, details: e.details, cause: e.cause }).toEqual({
      name: 'DockError',
      code: 'DOCK_JAMMED',
      message: 'door did not close',
      details: { door: 2 },
      cause,
    });
    expect(e.toJSON()).toEqual({ code: 'DOCK_JAMMED', message: 'door did not close', door: 2 });
    expect(codeOf(e, 'X')).toBe('DOCK_JAMMED');
    const field = new FieldError('latitude', '9x');
    expect({ code: field.code, field: field.field, value: field.value, message: field.message }).toEqual({
      code: 'NMEA_BAD_FIELD',
      field: 'latitude',
      value: '9x',
      message: 'bad latitude: "9x"',
    });
  });

  it('captures stacks when asked (PLACE_AGENT_DEBUG sets it at start), to show where an error was raised', () => {
    CodedError.captureStacks = true;
    const e = new NmeaError('NMEA_MALFORMED', 'not a sentence');
    expect(frames(e).join('\n')).toContain('coded-error.test.ts');
  });
});

describe('ErrorCounter', () => {
  it('counts its registry\'s codes and codes read off thrown errors; a misspelt code does not compile (npm run typecheck)', () => {
    const c = new ErrorCounter<'DOCK_JAMMED' | 'DOCK_OPEN'>();
    c.count('DOCK_JAMMED');
    c.count(codeOf(new Error('no code'), 'DOCK_OPEN'), 2);
    c.count(codeOf(Object.assign(new Error('gone'), { code: 'ENOENT' }), 'DOCK_OPEN'));
    // @ts-expect-error DOCK_JAMED is not in the registry
    c.count('DOCK_JAMED');
    expect(c.snapshot()).toEqual({ DOCK_JAMMED: 1, DOCK_OPEN: 2, ENOENT: 1, DOCK_JAMED: 1 });
    expect(c.get('ENOENT')).toBe(1);
    expect(c.total()).toBe(5);
  });
});
