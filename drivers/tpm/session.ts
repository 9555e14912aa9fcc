/**
 * Authorisation sessions (TPM 2.0 Part 1 §19 "Authorizations and Acknowledgments" and §21
 * "Session-based encryption"; Part 3 §11.1 TPM2_StartAuthSession): a salted, unbound HMAC
 * session with AES-128-CFB parameter encryption, and the policy session used to satisfy an
 * endorsement key's policy. Commands that use them are built in command.ts.
 *
 * HMAC session, per command (Part 1 "HMAC Computation" and "Response HMAC"):
 *   cpHash  = SHA-256(commandCode || Name(handle 1) || ... || parameters as sent)
 *   hmac    = HMAC(sessionKey || authValue, cpHash || nonceCaller || nonceTPM || sessionAttributes)
 *   rpHash  = SHA-256(responseCode || commandCode || response parameters)
 *   rHmac   = HMAC(sessionKey || authValue, rpHash || nonceTPM' || nonceCaller || sessionAttributes)
 * sessionKey = KDFa(SHA-256, salt, "ATH", nonceTPM, nonceCaller, 256) with the salt sent under
 * the salt key's public key (Part 1 "Session Key Creation"); an unbound session has no bind
 * authValue in it. The TPM strips trailing zero octets of an authValue; our secrets never end in one.
 */
import { randomBytes } from 'node:crypto';
import type { TpmClient } from './client.ts';
import { ALG, CC, RH } from './constants.ts';
import { TpmWriter } from './marshal.ts';
import { eccSecret, kdfa } from './session-crypto.ts';
import { TpmError } from './tpm-error.ts';
import type { EccPublic } from './public-area.ts';

/** Part 2 §8.4 TPMA_SESSION bits. */
export const TPMA_SESSION = { continueSession: 0x01, decrypt: 0x20, encrypt: 0x40 } as const;
/** Part 2 §6.11 TPM_SE. */
export const SE = { HMAC: 0x00, POLICY: 0x01 } as const;
/** Part 2 §6.3 TPM_ALG_ID: AES and CFB mode. */
export const ALG_AES = 0x0006;
export const ALG_CFB = 0x0043;

/** An open session's state; `nonceTPM` rolls with every response. */
export class AuthSession {
  nonceTPM: Uint8Array;
  /** Set when a command's fate is unknown (lost response): the nonces may have moved on. */
  stale = false;
  constructor(
    readonly handle: number,
    readonly type: number,
    /** Empty for an unsalted unbound session. */
    readonly sessionKey: Uint8Array,
    nonceTPM: Uint8Array,
    /** The connection epoch of the client when the session was started. */
    readonly epoch: number,
  ) {
    this.nonceTPM = nonceTPM;
  }
}

/** One authorisation in a command's authorisation area. */
export type Authorization =
  | Uint8Array // a password session (TPM_RS_PW) with this value
  | { session: AuthSession; authValue: Uint8Array; decrypt?: boolean } // an HMAC session
  | { policy: AuthSession }; // a policy session whose policy needs no authValue

export function isHmacAuth(a: Authorization): a is { session: AuthSession; authValue: Uint8Array; decrypt?: boolean } {
  return !(a instanceof Uint8Array) && 'session' in a;
}

/**
 * Part 3 §11.1 TPM2_StartAuthSession. With `saltKey` (a loaded or persistent ECC decrypt key
 * whose public area the caller trusts), the salt is an ECDH secret only that TPM can recover
 * (Part 1 annex C: KDFe with label "SECRET"), so the session key, and therefore every HMAC
 * and parameter key, is unknown to whoever watches the bus. Symmetric AES-128-CFB for
 * parameter encryption; authHash SHA-256.
 */
export async function startSession(
  tpm: TpmClient,
  type: number,
  saltKey?: { handle: number; pub: EccPublic },
): Promise<AuthSession> {
  const nonceCaller = randomBytes(32);
  let encryptedSalt: Uint8Array = new Uint8Array(0);
  let salt: Uint8Array = new Uint8Array(0);
  if (saltKey) {
    const s = eccSecret('SECRET', saltKey.pub.x, saltKey.pub.y);
    salt = s.seed;
    // TPM2B_ENCRYPTED_SECRET holding a TPMS_ECC_POINT (Part 2 §11.2.5.2): the ephemeral point.
    encryptedSalt = new TpmWriter().tpm2b(s.ephX).tpm2b(s.ephY).finish();
  }
  const params = new TpmWriter()
    .tpm2b(nonceCaller)
    .tpm2b(encryptedSalt)
    .u8(type)
    // TPMT_SYM_DEF (Part 2 §11.1.6): algorithm, keyBits, mode.
    .u16(ALG_AES).u16(128).u16(ALG_CFB)
    .u16(ALG.SHA256)
    .finish();
  const epoch = tpm.connectionEpoch();
  const { handles, params: r } = await tpm.execute(
    { cc: CC.StartAuthSession, handles: [saltKey?.handle ?? RH.NULL, RH.NULL], params },
    { idempotent: false, responseHandles: 1 },
  );
  const nonceTPM = r.tpm2b();
  if (nonceTPM.length < 16) throw new TpmError('TPM_MALFORMED_RESPONSE', `StartAuthSession nonceTPM of ${nonceTPM.length} bytes`);
  // Part 1 "Session Key Creation": sessionKey = KDFa(authHash, bind.authValue || salt, "ATH", nonceTPM, nonceCaller, digest bits).
  const sessionKey = salt.length ? kdfa(salt, 'ATH', nonceTPM, nonceCaller, 256) : new Uint8Array(0);
  return new AuthSession(handles[0]!, type, sessionKey, nonceTPM, epoch);
}

/**
 * Part 3 §23.4 TPM2_PolicySecret: satisfies "the caller knows authHandle's authValue" in a
 * policy session, here with a password session on a hierarchy whose auth is usually empty
 * (the endorsement key's policy A: PolicySecret(TPM_RH_ENDORSEMENT)).
 */
export async function policySecret(tpm: TpmClient, authHandle: number, auth: Uint8Array, policy: AuthSession): Promise<void> {
  const params = new TpmWriter().tpm2b(policy.nonceTPM).tpm2b(new Uint8Array(0)).tpm2b(new Uint8Array(0)).u32(0).finish();
  await tpm.execute({ cc: CC.PolicySecret, handles: [authHandle, policy.handle], auths: [auth], params }, { idempotent: false });
}

/** A fresh random authValue of 32 bytes whose last octet is not zero (the TPM would strip it). */
export function newAuthValue(): Buffer {
  for (;;) {
    const v = randomBytes(32);
    if (v[31] !== 0) return v;
  }
}
