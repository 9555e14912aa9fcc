/**
 * Rows written since migration 3 keep only the part of an observation's COSE bytes after the
 * prefix every observation of one identity shares (stored once in cose_prefixes); every read
 * (the outbox, export, retention) puts the two back together byte for byte here.
 */

/** An observation's full COSE bytes from its stored shared prefix (if any) and the rest. */
export function withPrefix(prefix: Buffer | null, rest: Buffer): Uint8Array {
  if (!prefix) return new Uint8Array(rest);
  const out = new Uint8Array(prefix.length + rest.length);
  out.set(prefix, 0);
  out.set(rest, prefix.length);
  return out;
}
