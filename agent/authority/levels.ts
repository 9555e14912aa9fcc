/**
 * The authority taxonomy (DESIGN.md, "Authority taxonomy", credential claim -65548 `level`):
 * which kinds of holder may issue credentials, and which typ of object each may sign. A
 * verifier checks the leaf's level against the typ it signed whatever the scope's `kinds` say,
 * so a gateway credential issued with `kinds: ['*']` still cannot sign a grant.
 */
import { TYP_ACCEPT, TYP_CRED, TYP_GRANT, TYP_OBS, TYP_REVOKE, TYP_SETTLE } from '../encoding/cose-sign1.ts';

export const LEVELS = ['root', 'authority', 'gateway', 'unit', 'settler'] as const;
export type Level = (typeof LEVELS)[number];

export const isLevel = (x: unknown): x is Level => typeof x === 'string' && (LEVELS as readonly string[]).includes(x);

/** The observation kinds a gateway signs (DESIGN.md, claims table, kind -65537). */
export const OBSERVATION_KINDS = ['envelope', 'presence', 'reservation', 'checkpoint', 'gap', 'suspension', 'time', 'status'] as const;

/** Which levels may sign each typ (DESIGN.md, the typ table). */
const SIGNERS: Record<string, readonly Level[]> = {
  [TYP_OBS]: ['gateway'],
  [TYP_CRED]: ['root', 'authority'],
  [TYP_GRANT]: ['authority'],
  [TYP_ACCEPT]: ['unit'],
  [TYP_SETTLE]: ['settler'],
  [TYP_REVOKE]: ['root', 'authority'],
};

/** Undefined when a holder of `level` may sign `typ`, else the reason it may not. */
export function levelMaySign(level: string, typ: string): string | undefined {
  const allowed = SIGNERS[typ];
  if (!allowed) return `typ ${typ} is not one of the wire contract's`;
  return (allowed as readonly string[]).includes(level) ? undefined : `a ${level} credential may not sign ${typ} (only ${allowed.join(' or ')})`;
}

/** Holders that may issue credentials (and so have children in a chain). */
export const mayIssue = (level: string): boolean => level === 'root' || level === 'authority';

/** Holders at the end of every chain: they delegate nothing, so their depth is 0. */
export const isEndLevel = (level: string): boolean => level === 'gateway' || level === 'unit' || level === 'settler';
