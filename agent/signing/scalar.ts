/** 32-byte big-endian scalars <-> bigint (P-256 field and order elements). */
export function bytesToScalar(b: Uint8Array): bigint {
  return BigInt('0x' + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex'));
}

export function scalarInto(out: Uint8Array, offset: number, v: bigint): void {
  const hex = v.toString(16).padStart(64, '0');
  out.set(Buffer.from(hex, 'hex'), offset);
}
