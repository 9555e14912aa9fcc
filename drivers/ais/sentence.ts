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
function fail(code: AisErrorCode, msg: string, details: Record<string, unknown> = {}): Result<AisSentence> {
  return { ok: false, error: new AisError(code, msg, details) };
}

/** `!` + two upper-case talker letters + `VDM,` or `VDO,`. */
function isVdmStart(line: string): boolean {
  if (line.length < 7 || line.charCodeAt(0) !== 0x21) return false;
  const t1 = line.charCodeAt(1);
  const t2 = line.charCodeAt(2);
  if (t1 < 0x41 || t1 > 0x5a || t2 < 0x41 || t2 > 0x5a) return false;
  return line.startsWith('VDM,', 3) || line.startsWith('VDO,', 3);
}

export function parseAisSentence(line: string): Result<AisSentence> {
  if (!isVdmStart(line)) {
    return fail(AisErrorCode.NotASentence, 'not an !xxVDM or !xxVDO sentence');
  }
  const star = line.indexOf('*');
  if (star < 0) return fail(AisErrorCode.Malformed, 'checksum field missing');
  const sumText = line.slice(star + 1, star + 3);
  if (sumText.length !== 2 || !HEX.test(sumText)) return fail(AisErrorCode.Malformed, 'checksum is not two hex digits');
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
