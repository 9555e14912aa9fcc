/**
 * Credential protection (TPM 2.0 Part 1 §24, "Credential Protection"; Part 3 §12.6
 * TPM2_MakeCredential, which the authority does here in software, and §12.5
 * TPM2_ActivateCredential, which only the TPM holding the EK's private key can do, and only
 * for an object with the given Name loaded in the same TPM). RSA EK (template L-1):
 *   seed            random, 32 bytes (digest size of the EK's nameAlg)
 *   encryptedSecret RSA-OAEP(SHA-256, label "IDENTITY\0", seed) under the EK
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
import { aes128Cfb, hmacSha256, kdfa } from './session-crypto.ts';
import type { Authorization } from './session.ts';
import { TpmError } from './tpm-error.ts';

export interface MadeCredential {
  credentialBlob: Uint8Array;
  encryptedSecret: Uint8Array;
}

export function makeCredential(ekPublicKey: KeyObject, objectName: Uint8Array, credential: Uint8Array): MadeCredential {
  if (ekPublicKey.asymmetricKeyType !== 'rsa') throw new TpmError('TPM_KEY_MISMATCH', 'MakeCredential here supports RSA endorsement keys only', {});
  if (credential.length > 32) throw new TpmError('TPM_MARSHAL', 'a credential is at most one SHA-256 digest long', {});
  const seed = randomBytes(32);
  const encryptedSecret = publicEncrypt({ key: ekPublicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: Buffer.from('IDENTITY\0', 'ascii') }, seed);
  const symKey = kdfa(seed, 'STORAGE', objectName, new Uint8Array(0), 128);
  const encIdentity = aes128Cfb(true, symKey, new Uint8Array(16), new TpmWriter().tpm2b(credential).finish());
  const hmacKey = kdfa(seed, 'INTEGRITY', new Uint8Array(0), new Uint8Array(0), 256);
  const integrity = hmacSha256(hmacKey, encIdentity, objectName);
  return { credentialBlob: new TpmWriter().tpm2b(integrity).bytes(encIdentity).finish(), encryptedSecret: new Uint8Array(encryptedSecret) };
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
