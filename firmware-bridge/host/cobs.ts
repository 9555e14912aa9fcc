/**
 * Consistent Overhead Byte Stuffing (S. Cheshire, M. Baker, "Consistent Overhead Byte
 * Stuffing", IEEE/ACM Trans. Networking 7(2), 1999). The encoding holds no 0x00, so 0x00
 * delimits frames on the wire (PROTOCOL.md §2).
 */
export function cobsEncode(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + Math.floor(data.length / 254) + 1);
  let codeAt = 0;
  let o = 1;
  let code = 1;
  for (const b of data) {
    if (b === 0) {
      out[codeAt] = code;
      codeAt = o++;
      code = 1;
    } else {
      out[o++] = b;
      code++;
      if (code === 0xff) {
        out[codeAt] = code;
        codeAt = o++;
        code = 1;
      }
    }
  }
  out[codeAt] = code;
  return out.subarray(0, o);
}

/** Decodes one block (its delimiter removed); undefined when the block is malformed. */
export function cobsDecode(block: Uint8Array): Uint8Array | undefined {
  const out = new Uint8Array(block.length);
  let i = 0;
  let o = 0;
  while (i < block.length) {
    const code = block[i++]!;
    if (code === 0) return undefined;
    const end = i + code - 1;
    if (end > block.length) return undefined;
    for (; i < end; i++) {
      const b = block[i]!;
      if (b === 0) return undefined;
      out[o++] = b;
    }
    // A code below 0xFF stands for a zero, except at the very end of the block.
    if (code !== 0xff && i < block.length) out[o++] = 0;
  }
  return out.subarray(0, o);
}
