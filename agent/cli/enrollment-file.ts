/** The enrolment request file `place-agent enroll` writes and `authority issue --enrollment` reads: a deterministic CBOR map. */
import type { CborMapKey, CborValue } from '../encoding/cbor-value.ts';
import { encodeDeterministic } from '../encoding/deterministic-cbor.ts';
import { decodeCbor } from '../encoding/cbor-decode.ts';
import type { TpmEnrollment } from '../signing/tpm-enroll.ts';
import { CliError } from './errors.ts';

export function encodeEnrollment(e: TpmEnrollment): Uint8Array {
  return encodeDeterministic({ device_key: e.devicePublicKey, ak_key: e.akPublicKey, certify_info: e.certifyInfo, certify_sig: e.certifySignature });
}

export function decodeEnrollment(b: Uint8Array): TpmEnrollment {
  let m: CborValue;
  try {
    m = decodeCbor(b);
  } catch (e) {
    throw new CliError('ENROLL_MALFORMED', `enrolment request is not CBOR: ${(e as Error).message}`);
  }
  const get = (k: string): Uint8Array => {
    const v = m instanceof Map ? (m as Map<CborMapKey, CborValue>).get(k) : undefined;
    if (!(v instanceof Uint8Array)) throw new CliError('ENROLL_MALFORMED', `enrolment request lacks ${k}`);
    return v;
  };
  return { devicePublicKey: get('device_key'), akPublicKey: get('ak_key'), certifyInfo: get('certify_info'), certifySignature: get('certify_sig') };
}
