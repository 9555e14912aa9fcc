/**
 * What revocation lists say about an input (DESIGN.md, "Revocation list": "a verifier given the
 * lists reports every object signed after its revocation"). Per issuer only the list with the
 * highest seq is in force; a lower one is ignored (REVOCATION_SUPERSEDED). An entry of the list
 * in force counts from the iat of the issuer's earliest list that already held it (the lists are
 * cumulative, so a lower list still dates an entry the current one confirms, and an entry the
 * current list dropped is not revoked at all). Whose entries count for which chain is
 * revocation.ts's rule: an issuer speaks for its own credential and those below it.
 * Findings: REVOKED_SIGNER (an object signed at or after the time a credential of its chain was
 * revoked), REVOKED_ANNOUNCED (not a failure: the gateway's own `status` credential-revoked
 * observation naming that credential, which DESIGN.md has it sign once), REVOKED_GRANT (a grant
 * whose cti the grantor or an ancestor listed), REVOCATION_SEQ_CONFLICT (one issuer, one seq, two
 * different lists: a failure, and the entries of both are applied; the agent's intake uses the
 * same code and keeps the first).
 */
import { carriedCredentials, decodeSign1 } from '../encoding/cose-sign1.ts';
import { sha256 } from '../encoding/cose-key.ts';
import { chainLinks, grantRevokedBy, revokedLink, type ChainLink, type RevocationList } from '../authority/revocation.ts';
import type { ObjectVerdict } from './input-verifier.ts';

/** A verified object of the input, as revocation judges it. */
export interface Signed {
  item: number;
  bytes: Uint8Array;
  /** When it says it was signed, ms. */
  atMs: number;
  /** What it is, for the line: `observation seq 7`, `grant R-1`. */
  what: string;
  /** How its failure lines start: `seq 7` or `item 3`. */
  line: string;
  /** A grant's cti. */
  grantCti?: Uint8Array;
  /** The chain that signed it, leaf first, when not carried in its header (a credential alone: its parents). */
  chain?: Uint8Array[];
  /** A gateway's `status` {event: credential-revoked, revoked: h(credential)}: the one thing it signs once revoked. */
  announcesRevoked?: Uint8Array;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const short = (b: Uint8Array): string => hex(b).slice(0, 16);
const when = (ms: number): string => (Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : `${ms} ms`);

/** The chain links of an object; `seen` remembers them by the credentials' exact bytes (a gateway signs thousands under one chain). */
function linksOfObject(s: Signed, seen: Map<string, ChainLink[] | undefined>): ChainLink[] | undefined {
  let creds = s.chain;
  if (!creds) {
    try {
      const c = carriedCredentials(decodeSign1(s.bytes));
      if (!c.ok) return undefined;
      creds = [c.leaf, ...c.parents];
    } catch {
      return undefined;
    }
  }
  const key = creds.map((c) => hex(sha256(c))).join(':');
  if (!seen.has(key)) seen.set(key, chainLinks(creds[0]!, creds.slice(1)));
  return seen.get(key);
}

const eq = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

export function revocationFindings(lists: { list: RevocationList; item: number; name: string }[], signed: Signed[]): { verdicts: ObjectVerdict[]; failures: string[] } {
  const verdicts: ObjectVerdict[] = [];
  /** Findings on objects; failing verdicts (a fork) are the caller's to count. */
  const failures: string[] = [];
  if (!lists.length) return { verdicts, failures };
  const byIssuer = new Map<string, typeof lists>();
  for (const l of lists) byIssuer.set(hex(l.list.kid), [...(byIssuer.get(hex(l.list.kid)) ?? []), l]);
  const inForce: RevocationList[] = [];
  /** issuer kid hex + entry hex → ms from which the entry counts. */
  const since = new Map<string, number>();
  for (const [kid, ls] of byIssuer) {
    const top = Math.max(...ls.map((l) => l.list.seq));
    const current = ls.filter((l) => l.list.seq === top);
    const distinct = new Map(current.map((l) => [hex(l.list.hash), l]));
    if (distinct.size > 1) {
      const l = current[0]!;
      const text = `${l.name}: REVOCATION_SEQ_CONFLICT: ${l.list.iss} signed ${distinct.size} different lists with seq ${top}; the entries of all of them are applied`;
      verdicts.push({ item: l.item, typ: 'revocation', ok: false, code: 'REVOCATION_SEQ_CONFLICT', text });
    }
    for (const l of distinct.values()) inForce.push(l.list);
    for (const l of ls) {
      const d = `${l.name}: revocation list seq ${l.list.seq} by ${l.list.iss} (${l.list.revoked.length} credential(s), ${l.list.grants.length} grant(s))`;
      if (l.list.seq < top) verdicts.push({ item: l.item, typ: 'revocation', ok: true, code: 'REVOCATION_SUPERSEDED', text: `${d}: REVOCATION_SUPERSEDED: seq ${top} of the same issuer is in force; this one is ignored` });
      else verdicts.push({ item: l.item, typ: 'revocation', ok: true, code: 'REVOCATION_OK', text: `${d}: REVOCATION_OK` });
    }
    for (const cur of distinct.values()) {
      for (const e of cur.list.revoked) {
        const from = Math.min(...ls.filter((l) => l.list.revoked.some((r) => hex(r) === hex(e))).map((l) => l.list.iat * 1000));
        since.set(`${kid}:${hex(e)}`, Math.min(from, since.get(`${kid}:${hex(e)}`) ?? Infinity));
      }
    }
  }

  const seen = new Map<string, ChainLink[] | undefined>();
  for (const s of signed) {
    const links = linksOfObject(s, seen);
    if (!links) continue;
    let found: string | undefined;
    for (const l of inForce) {
      for (let start = 0; found === undefined && start < links.length; ) {
        const r = revokedLink([l], links.slice(start));
        if (!r) break;
        const link = start + r.link;
        const from = since.get(`${hex(l.kid)}:${hex(links[link]!.hash)}`) ?? l.iat * 1000;
        if (s.atMs >= from) {
          const why = `link ${link} of its chain (credential h=${short(links[link]!.hash)}) was revoked by ${l.iss} (list seq ${l.seq}, in force from ${when(from)})`;
          if (s.announcesRevoked && eq(s.announcesRevoked, links[link]!.hash)) {
            verdicts.push({ item: s.item, typ: 'observation', ok: true, code: 'REVOKED_ANNOUNCED', text: `${s.line}: ${s.what} says its credential is revoked, as it must after ${why}: REVOKED_ANNOUNCED` });
            found = '';
          } else found = `${s.line}: REVOKED_SIGNER: ${s.what} signed at ${when(s.atMs)}, after ${why}`;
        }
        start = link + 1;
      }
      if (found !== undefined) break;
    }
    if (found) failures.push(found);
    if (s.grantCti) {
      const l = grantRevokedBy(inForce, s.grantCti, links);
      if (l) failures.push(`${s.line}: REVOKED_GRANT: ${s.what} (cti ${hex(s.grantCti)}) is revoked by ${l.iss} (list seq ${l.seq})`);
    }
  }
  return { verdicts, failures };
}
