import { AisError, AisErrorCode } from './errors.ts';

/** One `!xxVDM` / `!xxVDO` sentence (IEC 61162-1 §8.3.93 VDM, §8.3.94 VDO). */
export interface AisSentence {
  talker: string;
  /** True for VDO: our own vessel's transponder. */
  own: boolean;
  fragmentCount: number;
  fragmentNumber: number;
  /** Sequential message identifier, '' when the message fits in one sentence. */
  sequenceId: string;
  /** AIS radio channel: 'A', 'B', '1', '2' or '' when the receiver leaves it out. */
  channel: string;
  payload: string;
  fillBits: number;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: AisError };

const HEX = /^[0-9A-Fa-f]{2}/;

/** XOR of every character between the start delimiter and '*' (IEC 61162-1 §7.2.3). */
export function nmeaChecksum(body: string): number {
  let c = 0;
  for (let i = 0; i < body.length; i++) c ^= body.charCodeAt(i) & 0xff;
  return c;
}

/**
 * Parses one sentence line (without CR LF). Anything after the two checksum digits is
 * ignored: some recordings carry escaped line ends there, and the checksum already
 * covers every byte that carries meaning.
 */
export function parseAisSentence(line: string): Result<AisSentence> {
  const fail = (code: AisErrorCode, msg: string, details: Record<string, unknown> = {}): Result<AisSentence> => ({
    ok: false,
    error: new AisError(code, msg, details),
  });
  if (line.length < 7 || line[0] !== '!' || !/^[A-Z]{2}VD[MO],/.test(line.slice(1, 7))) {
    return fail(AisErrorCode.NotASentence, 'not an !xxVDM or !xxVDO sentence');
  }
  const star = line.indexOf('*');
  if (star < 0) return fail(AisErrorCode.Malformed, 'checksum field missing');
  const sumText = line.slice(star + 1, star + 3);
  if (!HEX.test(sumText)) return fail(AisErrorCode.Malformed, 'checksum is not two hex digits');
  const body = line.slice(1, star);
  const expected = parseInt(sumText, 16);
  const actual = nmeaChecksum(body);
  if (expected !== actual) {
    return fail(AisErrorCode.BadChecksum, `checksum ${sumText} does not match computed ${hex2(actual)}`, {
      expected: hex2(expected),
      computed: hex2(actual),
    });
  }
  const f = body.split(',');
  if (f.length !== 7) return fail(AisErrorCode.Malformed, `expected 7 fields, got ${f.length}`);
  const [addr, countText, numText, seq, channel, payload, fillText] = f as [string, string, string, string, string, string, string];
  const fragmentCount = digit(countText);
  const fragmentNumber = digit(numText);
  // IEC 61162-1 VDM: fragment count and number are 1..9; sequential id 0..9 or null.
  if (fragmentCount === undefined || fragmentNumber === undefined || fragmentCount < 1 || fragmentNumber < 1 || fragmentNumber > fragmentCount) {
    return fail(AisErrorCode.Malformed, `bad fragment numbering ${numText}/${countText}`);
  }
  if (seq.length > 1 || (seq.length === 1 && !/[0-9]/.test(seq))) return fail(AisErrorCode.Malformed, `bad sequential message id '${seq}'`);
  if (channel.length > 1) return fail(AisErrorCode.Malformed, `bad channel '${channel}'`);
  const fillBits = fillText === '' ? 0 : digit(fillText);
  if (fillBits === undefined || fillBits > 5) return fail(AisErrorCode.Malformed, `bad fill bit count '${fillText}'`);
  return {
    ok: true,
    value: {
      talker: addr.slice(0, 2),
      own: addr.endsWith('VDO'),
      fragmentCount,
      fragmentNumber,
      sequenceId: seq,
      channel,
      payload,
      fillBits,
    },
  };
}

function digit(s: string): number | undefined {
  return s.length === 1 && s >= '0' && s <= '9' ? s.charCodeAt(0) - 48 : undefined;
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}
