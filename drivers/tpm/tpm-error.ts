/**
 * The TPM subsystem's one error class. Codes are either a decoded response-code name
 * (`TPM_RC_OBJECT_MEMORY`, `TPM_RC_BAD_AUTH`, ...: TpmRcCode) or a client-side reason
 * (TpmErrorCode). Owner authorisation never goes into a message or details.
 */
import { CodedError } from '../../core/coded-error.ts';
import { decodeRc, type TpmRcCode } from './response-code.ts';

/** Client-side reasons a TPM command fails; the codes never change meaning. */
export const TpmErrorCode = {
  /** No response within the command's timeout. */
  TPM_TIMEOUT: 'TPM_TIMEOUT',
  /** The transport (socket, device) is closed, or closed under a command. */
  TPM_TRANSPORT_CLOSED: 'TPM_TRANSPORT_CLOSED',
  /** The transport failed otherwise (cannot open the device, a command already in flight). */
  TPM_TRANSPORT: 'TPM_TRANSPORT',
  /** A response that does not parse: sizes, tags, trailing bytes, out-of-range values. */
  TPM_MALFORMED_RESPONSE: 'TPM_MALFORMED_RESPONSE',
  /** A command this client refuses to build (sizes, unsupported algorithms, sessions). */
  TPM_MARSHAL: 'TPM_MARSHAL',
  /** A response HMAC that does not verify (TPM 2.0 Part 1 §19.6). */
  TPM_RESPONSE_HMAC: 'TPM_RESPONSE_HMAC',
  /** A TCTI string that does not parse. */
  TPM_TCTI: 'TPM_TCTI',
  /** A key or public area that is not the one expected (template, curve, Name). */
  TPM_KEY_MISMATCH: 'TPM_KEY_MISMATCH',
  /** A TPMS_ATTEST that is not TPM-generated or of an unsupported type. */
  TPM_ATTEST_INVALID: 'TPM_ATTEST_INVALID',
  /** The storage root key (or another persistent object) is missing: run keys init --tpm. */
  TPM_NOT_PROVISIONED: 'TPM_NOT_PROVISIONED',
  /** No usable EK certificate in NV. */
  TPM_NO_EK_CERT: 'TPM_NO_EK_CERT',
  /** A handle or NV index outside its range, or missing settings. */
  TPM_CONFIG: 'TPM_CONFIG',
  /** swtpm's control channel refused or did not answer. */
  TPM_CONTROL: 'TPM_CONTROL',
} as const;
export type TpmErrorCode = (typeof TpmErrorCode)[keyof typeof TpmErrorCode] | TpmRcCode;

/**
 * `C` is the registry of whoever raises it: the driver's TpmErrorCode by default; the agent's
 * signing code raises it over its key files and NV counter with SigningErrorCode. The code is
 * never inferred from the argument (NoInfer), so a misspelt one does not compile.
 */
export class TpmError<C extends string = TpmErrorCode> extends CodedError<C> {
  constructor(code: NoInfer<C>, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(code, message, details, options);
  }

  /** The TPM response code when the TPM answered with an error, else undefined. */
  get rc(): number | undefined {
    const v = this.details['rc'];
    return typeof v === 'number' ? v : undefined;
  }

  /** Whether the command's bytes reached the TPM (transport errors only). */
  get sent(): boolean {
    return this.details['sent'] === true;
  }

  static fromRc(rc: number, command: string): TpmError {
    const d = decodeRc(rc);
    const details: Record<string, unknown> = { rc, command };
    if (d.parameter !== undefined) details['parameter'] = d.parameter;
    if (d.handle !== undefined) details['handle'] = d.handle;
    if (d.session !== undefined) details['session'] = d.session;
    return new TpmError(d.name, `${command} failed: ${d.text} (rc 0x${rc.toString(16).padStart(3, '0')})`, details);
  }
}
