/**
 * The TPM subsystem's one error class. Codes are either a decoded response-code name
 * (`TPM_RC_OBJECT_MEMORY`, `TPM_RC_BAD_AUTH`, ...) or a client-side reason:
 * TPM_TIMEOUT, TPM_TRANSPORT_CLOSED, TPM_TRANSPORT, TPM_MALFORMED_RESPONSE, TPM_MARSHAL,
 * TPM_TCTI, TPM_KEY_MISMATCH, TPM_NV_MISMATCH, TPM_CONTROL.
 * Owner authorisation never goes into a message or details.
 */
import { CodedError } from '../../core/coded-error.ts';
import { decodeRc } from './response-code.ts';

export class TpmError extends CodedError {
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
