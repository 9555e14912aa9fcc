import { describe, expect, it } from 'vitest';
import { createNmeaLineFramer, LineFramer, type FrameEvent } from '../../../drivers/framing/line-framer.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder('latin1').decode(b);
const show = (evs: FrameEvent[]) => evs.map((e) => (e.kind === 'frame' ? `F:${dec(e.bytes)}` : `D(${e.reason}):${dec(e.bytes)}`));

describe('LineFramer', () => {
  it('frames CR LF, CR or LF delimited lines across chunk boundaries', () => {
    const f = new LineFramer({ maxLength: 16 });
    expect(show([...f.push(enc('ab\r\ncd')), ...f.push(enc('\ref\n\n'))])).toEqual(['F:ab', 'F:cd', 'F:ef']);
    expect(f.discardedBytes).toBe(0);
  });

  it('reports noise before a start byte and a sentence cut short by a new one', () => {
    const f = createNmeaLineFramer();
    const evs = f.push(enc('xx$GPGGA,1\r\n$GPRMC,12$GPZDA,3\r\n'));
    expect(show(evs)).toEqual(['D(no-start):xx', 'F:$GPGGA,1', 'D(interrupted):$GPRMC,12', 'F:$GPZDA,3']);
    expect(f.discardedBytes).toBe(2 + 9);
  });

  it('drops an over-long line to its delimiter, counts every byte, and resumes', () => {
    const f = new LineFramer({ maxLength: 8 });
    const evs = f.push(enc(`${'A'.repeat(100)}\nok\n`));
    expect(evs.map((e) => e.kind)).toEqual(['discarded', 'frame']);
    expect(evs[0]).toMatchObject({ reason: 'too-long' });
    expect(f.discardedBytes).toBe(100);
    expect(f.bufferedBytes).toBe(0);
  });

  it('flush reports an unterminated frame as incomplete', () => {
    const f = createNmeaLineFramer();
    f.push(enc('$GPGGA,12'));
    expect(show(f.flush())).toEqual(['D(incomplete):$GPGGA,12']);
    expect(f.discardedBytes).toBe(9);
  });

  it('accounts for every input byte: framed + discarded + delimiters', () => {
    const f = createNmeaLineFramer(20);
    const input = enc('junk$GPGGA,1\r\n$' + 'X'.repeat(50) + '\n$GPRMC\r\n!AIVDM,1,1\n\n$tail');
    let framed = 0;
    for (const e of [...f.push(input), ...f.flush()]) if (e.kind === 'frame') framed += e.bytes.length;
    const delimiters = input.filter((b) => b === 0x0a || b === 0x0d).length;
    expect(framed + f.discardedBytes + delimiters).toBe(input.length);
  });

  it('merges consecutive discards of one reason into one event with the exact byte count and run count', () => {
    const f = createNmeaLineFramer();
    const evs = f.push(enc('$$$$$GPZDA,1\r\n$A$BB$GPZDA,2\r\n'));
    expect(evs.map((e) => (e.kind === 'frame' ? 'F' : `D(${e.reason})x${e.runs}/${e.length}`))).toEqual(['D(interrupted)x4/4', 'F', 'D(interrupted)x2/5', 'F']);
    expect(f.discardedBytes).toBe(9);
  });

  it('rejects a nonsensical maximum', () => {
    expect(() => new LineFramer({ maxLength: 0 })).toThrow(RangeError);
  });
});
