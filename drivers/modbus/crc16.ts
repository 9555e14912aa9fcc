/**
 * CRC-16/MODBUS (Modbus over Serial Line V1.02 §6.2.2): reflected polynomial 0xA001,
 * initial value 0xFFFF, no final XOR; sent low byte first. Check value for "123456789": 0x4B37.
 */
const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    t[n] = c;
  }
  return t;
})();

export function crc16Modbus(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ TABLE[(crc ^ bytes[i]!) & 0xff]!;
  return crc;
}

/** Appends the CRC (low byte first) to a PDU-with-address. */
export function withCrc(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 2);
  out.set(body);
  const crc = crc16Modbus(body);
  out[body.length] = crc & 0xff;
  out[body.length + 1] = crc >>> 8;
  return out;
}

/** True when the last two bytes are the CRC of the rest. */
export function crcOk(frame: Uint8Array, length = frame.length): boolean {
  if (length < 4) return false;
  const crc = crc16Modbus(frame, 0, length - 2);
  return frame[length - 2] === (crc & 0xff) && frame[length - 1] === crc >>> 8;
}
