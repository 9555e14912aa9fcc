/**
 * The embedded default's console: one line per committed observation — seq, kind, place, a
 * short summary and the built-in verifier's verdict (signature, credential chain to the
 * development trust anchor, and lineage).
 */
import { ObservationVerifier } from '../verify/observation-verifier.ts';
import { LineageVerifier } from '../verify/lineage-verifier.ts';
import type { TrustAnchor } from '../authority/chain.ts';
import type { SignedObservation } from '../lineage/observation.ts';
import type { CborValue } from '../encoding/cbor-value.ts';
import { summarise } from './claims-to-drafts.ts';
import { summariseEnvelope } from '../domain/envelope.ts';

function plain(v: CborValue): unknown {
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), plain(x)]));
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object' && 'value' in v && !(v instanceof Uint8Array)) return plain((v as { value: CborValue }).value);
  return v;
}

export function createConsolePrinter(anchors: TrustAnchor[], write: (line: string) => void = (l) => process.stdout.write(l + '\n')): (o: SignedObservation) => void {
  const verifier = new ObservationVerifier(anchors);
  const lineage = new LineageVerifier();
  return (o) => {
    const r = verifier.check(o.bytes);
    let verdict: string;
    let summary = '';
    if (r.ok) {
      const fails = lineage.add(r.claims, r.hash, { allowStartAfterGenesis: true });
      verdict = fails.length ? `LINEAGE FAILED: ${fails.map((f) => f.reason).join('; ')}` : 'verified';
      const body = plain(r.claims.body) as Record<string, unknown>;
      summary = o.kind === 'envelope' ? summariseEnvelope({ dims: body.dims as never, valid: [0, 0] }) : summarise(o.kind, body);
    } else verdict = `NOT VERIFIED (${r.code}: ${r.reason})`;
    write(`${String(o.seq).padStart(6)}  ${o.kind.padEnd(11)} ${o.place}  ${summary.padEnd(48).slice(0, 72)}  ${verdict}`);
  };
}
