/** TPM2_Sign and TPMT_SIGNATURE (TPM 2.0 Part 3 §20.2, Part 2 §11.3.4). */
import type { TpmClient } from '../client.ts';
import { ALG, CC, RH, ST } from '../constants.ts';
import { TpmReader, TpmWriter } from '../marshal.ts';
import { TpmError } from '../tpm-error.ts';
import type { Authorization } from '../session.ts';

export interface EcdsaSignature {
  hashAlg: number;
  /** As the TPM returned them: TPM2Bs that may be shorter than 32 bytes. */
  r: Uint8Array;
  s: Uint8Array;
}

/** Part 2 §11.3.4 TPMT_SIGNATURE with sigAlg ECDSA (TPMS_SIGNATURE_ECDSA: hash, r, s). */
export function readEcdsaSignature(r: TpmReader): EcdsaSignature {
  const sigAlg = r.u16();
  if (sigAlg !== ALG.ECDSA) throw new TpmError('TPM_MALFORMED_RESPONSE', `signature algorithm 0x${sigAlg.toString(16)} is not ECDSA`);
  const hashAlg = r.u16();
  return { hashAlg, r: r.tpm2b(), s: r.tpm2b() };
}

/**
 * Part 3 §20.2 TPM2_Sign of a SHA-256 digest with ECDSA-SHA256, under a password session,
 * with a null hash-check ticket (Part 2 §10.7.6: TPM_ST_HASHCHECK, TPM_RH_NULL, empty) which
 * an unrestricted key accepts; a restricted key would answer TPM_RC_TICKET.
 */
export async function sign(
  tpm: TpmClient,
  keyHandle: number,
  digest: Uint8Array,
  keyAuth: Authorization = new Uint8Array(0),
  keyName?: Uint8Array,
): Promise<EcdsaSignature> {
  if (digest.length !== 32) throw new TpmError('TPM_MARSHAL', `digest must be 32 bytes (SHA-256), got ${digest.length}`);
  const params = new TpmWriter()
    .tpm2b(digest)
    .u16(ALG.ECDSA)
    .u16(ALG.SHA256)
    .u16(ST.HASHCHECK)
    .u32(RH.NULL)
    .tpm2b(new Uint8Array(0))
    .finish();
  // Repeating a Sign changes no TPM state, so it is retried after a reconnect. With an HMAC
  // session that decrypts, the digest (the first parameter) crosses the bus encrypted.
  const { params: r } = await tpm.execute({ cc: CC.Sign, handles: [keyHandle], ...(keyName ? { names: [keyName] } : {}), auths: [keyAuth], params }, { idempotent: true });
  return readEcdsaSignature(r);
}
