import { NmeaError } from './errors.ts';

/**
 * The parts every NMEA 0183 sentence shares (§5.2, "Approved sentences" and "Proprietary
 * sentences"): start delimiter, address field (talker + formatter, or `P` + manufacturer),
 * data fields, optional checksum.
 */
export interface NmeaEnvelope {
  start: '$' | '!';
  /** Two-letter talker (`GP`, `GN`, `GL`, `GA`, `GB`, `GQ`, `GI`, `BD`, ...) or `P` for proprietary. */
  talker: string;
  /** Three-letter formatter (`GGA`, `RMC`, ...); for proprietary sentences the rest of the address. */
  formatter: string;
  /** Data fields after the address, split on `,` (may be empty strings). */
  fields: string[];
  checksum: 'ok' | 'absent';
}

export interface EnvelopeOptions {
  /** Reject sentences without `*hh` (NMEA_NO_CHECKSUM). Default true: checksums are mandatory for GNSS sentences since NMEA 0183 v2. */
  requireChecksum?: boolean;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

const ADDRESS = /^(?:P[A-Z0-9]{1,}|[A-Z][A-Z0-9][A-Z0-9]{3})$/;

/** Splits and checks one sentence (no CR/LF). Returns a coded error, never throws. */
export function parseEnvelope(line: string, options: EnvelopeOptions = {}): NmeaEnvelope | NmeaError {
  const first = line.charCodeAt(0);
  if (first !== 0x24 && first !== 0x21) return new NmeaError('NMEA_MALFORMED', 'sentence does not start with $ or !', { raw: rawOf(line) });
  // One pass: printable check (§5.1.3, 0x20..0x7E) and the XOR up to the first '*'.
  let star = -1;
  let sum = 0;
  for (let i = 1; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return new NmeaError('NMEA_MALFORMED', 'non-printable character in sentence', { raw: rawOf(line), offset: i });
    if (star < 0) {
      if (c === 0x2a) star = i;
      else sum ^= c;
    }
  }
  let end: number;
  let checksum: 'ok' | 'absent';
  if (star >= 0) {
    if (star !== line.length - 3) return new NmeaError('NMEA_MALFORMED', 'checksum field is not two hex digits at the end', { raw: rawOf(line) });
    const hi = hexDigit(line.charCodeAt(star + 1));
    const lo = hexDigit(line.charCodeAt(star + 2));
    if (hi < 0 || lo < 0) return new NmeaError('NMEA_MALFORMED', 'checksum field is not hex', { raw: rawOf(line) });
    const want = (hi << 4) | lo;
    if (want !== sum) {
      return new NmeaError('NMEA_BAD_CHECKSUM', 'checksum mismatch', { raw: rawOf(line), expected: hex2(sum), received: hex2(want) });
    }
    end = star;
    checksum = 'ok';
  } else {
    if (options.requireChecksum !== false) return new NmeaError('NMEA_NO_CHECKSUM', 'sentence has no checksum', { raw: rawOf(line) });
    end = line.length;
    checksum = 'absent';
  }
  const parts = line.slice(1, end).split(',');
  const address = parts[0]!;
  if (!ADDRESS.test(address)) return new NmeaError('NMEA_MALFORMED', 'bad address field', { raw: rawOf(line), address });
  // No approved talker starts with P (§5.2.2): a leading P always marks a proprietary sentence ($PUBX, $PGRME).
  const proprietary = address.charCodeAt(0) === 0x50;
  const talker = proprietary ? 'P' : address.slice(0, 2);
  const formatter = proprietary ? address.slice(1) : address.slice(2);
  parts.shift();
  return { start: first === 0x24 ? '$' : '!', talker, formatter, fields: parts, checksum };
}

function rawOf(line: string): string {
  return line.length > 120 ? `${line.slice(0, 120)}…` : line;
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}
