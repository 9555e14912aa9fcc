/**
 * NMEA 0183 §5.2.1 checksum: the 8-bit XOR of every character between the start delimiter
 * (`$` or `!`) and the `*`, exclusive, written as two upper-case hex digits.
 */
export function nmeaChecksum(body: string): number {
  let c = 0;
  for (let i = 0; i < body.length; i++) c ^= body.charCodeAt(i) & 0xff;
  return c;
}

/** Builds a complete sentence (with `*hh` and CR LF) from its body, e.g. `GPGGA,...`. */
export function encodeNmeaSentence(body: string, start: '$' | '!' = '$'): string {
  return `${start}${body}*${nmeaChecksum(body).toString(16).toUpperCase().padStart(2, '0')}\r\n`;
}
