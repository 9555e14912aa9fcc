/**
 * Credential protection (TPM 2.0 Part 1 §24, "Credential Protection"; Part 3 §12.6
 * TPM2_MakeCredential, which the authority does here in software, and §12.5
 * TPM2_ActivateCredential, which only the TPM holding the EK's private key can do, and only
 * for an object with the given Name loaded in the same TPM). The seed, 32 bytes (digest size of
 * the EK's nameAlg), reaches the TPM as the encrypted secret:
 *   RSA EK (L-1)    seed random; encryptedSecret = RSA-OAEP(SHA-256, label "IDENTITY\0", seed)
 *   ECC EK (L-2)    one-pass ECDH with an ephemeral P-256 key (Part 1 annex C, "Secret Sharing"):
 *                   seed = KDFe(SHA-256, Z, "IDENTITY", ephemeral.x, EK.x, 256);
 *                   encryptedSecret = TPMS_ECC_POINT of the ephemeral key (Part 2 §11.2.5.2)
 * then, for both:
 *   symKey          KDFa(SHA-256, seed, "STORAGE", Name(object), "", 128)
 *   encIdentity     AES-128-CFB(symKey, IV 0, TPM2B_DIGEST(credential))
 *   hmacKey         KDFa(SHA-256, seed, "INTEGRITY", "", "", 256)
 *   integrity       HMAC-SHA256(hmacKey, encIdentity || Name(object))
 *   credentialBlob  TPM2B_DIGEST(integrity) || encIdentity (the contents of TPM2B_ID_OBJECT)
 * Everything runs on node:crypto.
 */
import { constants, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { CC } from './constants.ts';
import type { TpmClient } from './client.ts';
import { TpmWriter } from './marshal.ts';
import { aes128Cfb, eccSecret, hmacSha256, kdfa } from './session-crypto.ts';
import type { Authorization } from './session.ts';
import { TpmError } from './tpm-error.ts';

export interface MadeCredential {
  credentialBlob: Uint8Array;
  encryptedSecret: Uint8Array;
}

export function makeCredential(ekPublicKey: KeyObject, objectName: Uint8Array, credential: Uint8Array): MadeCredential {
  if (credential.length > 32) throw new TpmError('TPM_MARSHAL', 'a credential is at most one SHA-256 digest long', {});
  const { seed, encryptedSecret } = sealSeed(ekPublicKey);
  const symKey = kdfa(seed, 'STORAGE', objectName, new Uint8Array(0), 128);
  const encIdentity = aes128Cfb(true, symKey, new Uint8Array(16), new TpmWriter().tpm2b(credential).finish());
  const hmacKey = kdfa(seed, 'INTEGRITY', new Uint8Array(0), new Uint8Array(0), 256);
  const integrity = hmacSha256(hmacKey, encIdentity, objectName);
  return { credentialBlob: new TpmWriter().tpm2b(integrity).bytes(encIdentity).finish(), encryptedSecret };
}

/** A fresh seed and the encrypted secret that carries it to the TPM holding the EK's private key. */
function sealSeed(ek: KeyObject): { seed: Uint8Array; encryptedSecret: Uint8Array } {
  if (ek.asymmetricKeyType === 'rsa') {
    const seed = randomBytes(32);
    const encryptedSecret = publicEncrypt({ key: ek, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: Buffer.from('IDENTITY\0', 'ascii') }, seed);
    return { seed, encryptedSecret: new Uint8Array(encryptedSecret) };
  }
  if (ek.asymmetricKeyType === 'ec' && ek.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    const jwk = ek.export({ format: 'jwk' });
    const s = eccSecret('IDENTITY', Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url'));
    return { seed: s.seed, encryptedSecret: new TpmWriter().tpm2b(s.ephX).tpm2b(s.ephY).finish() };
  }
  throw new TpmError('TPM_KEY_MISMATCH', 'MakeCredential here supports RSA 2048 and ECC P-256 endorsement keys only', {});
}

/**
 * Which EK a challenge was sealed to, from its encrypted secret: a TPMS_ECC_POINT of two
 * 32-byte coordinates (68 bytes) for the ECC P-256 EK, an RSA 2048 ciphertext (256 bytes) for
 * the RSA EK; the TPM reads it by the type of the key it is given, so nothing else can be meant.
 */
export function sealedToEk(encryptedSecret: Uint8Array): 'rsa' | 'ecc' {
  if (encryptedSecret.length === 256) return 'rsa';
  const b = encryptedSecret;
  if (b.length === 68 && b[0] === 0 && b[1] === 32 && b[34] === 0 && b[35] === 32) return 'ecc';
  throw new TpmError('TPM_MARSHAL', `an encrypted secret of ${b.length} bytes is neither an RSA 2048 ciphertext nor a P-256 point`, {});
}

/**
 * Part 3 §12.5 TPM2_ActivateCredential: the object (activateHandle, ADMIN role) and the EK
 * (keyHandle, USER role: its policy). Returns the credential the authority sealed.
 */
export async function activateCredential(
  tpm: TpmClient,
  object: { handle: number; name: Uint8Array; auth: Authorization },
  ek: { handle: number; name: Uint8Array; auth: Authorization },
  made: MadeCredential,
): Promise<Uint8Array> {
  const params = new TpmWriter().tpm2b(made.credentialBlob).tpm2b(made.encryptedSecret).finish();
  const { params: r } = await tpm.execute(
    { cc: CC.ActivateCredential, handles: [object.handle, ek.handle], names: [object.name, ek.name], auths: [object.auth, ek.auth], params },
    { idempotent: false },
  );
  return r.tpm2b();
}
