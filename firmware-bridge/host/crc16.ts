/**
 * CRC-16/CCITT-FALSE (catalogued as CRC-16/IBM-3740): width 16, poly 0x1021, init 0xFFFF,
 * no reflection, xorout 0x0000, check value 0x29B1 over ASCII "123456789".
 * Source: Greg Cook, "Catalogue of parametrised CRC algorithms",
 * https://reveng.sourceforge.io/crc-catalogue/16.htm. Same parameters as core/pm_crc16.c.
 */
export const CRC16_CHECK = 0x29b1;

const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let b = 0; b < 8; b++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    t[i] = c;
  }
  return t;
})();

export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ bytes[i]!) & 0xff]!;
  return crc;
}
