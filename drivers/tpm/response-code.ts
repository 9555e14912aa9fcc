/**
 * Decoding of TPM_RC values into their spec names (TPM 2.0 Part 2 §6.6, Table 16 and
 * Figure 2 "Format-Zero Response Codes" / Figure 3 "Format-One Response Codes").
 * Pure: no I/O.
 */

const RC_VER1 = 0x100;
const RC_FMT1 = 0x080;
const RC_WARN = 0x900;

// Part 2 §6.6.3 Table 16, format-zero codes relative to RC_VER1.
const VER1: Record<number, string> = {
  0x000: 'INITIALIZE', 0x001: 'FAILURE', 0x003: 'SEQUENCE', 0x00b: 'PRIVATE', 0x019: 'HMAC',
  0x020: 'DISABLED', 0x021: 'EXCLUSIVE', 0x024: 'AUTH_TYPE', 0x025: 'AUTH_MISSING', 0x026: 'POLICY',
  0x027: 'PCR', 0x028: 'PCR_CHANGED', 0x02d: 'UPGRADE', 0x02e: 'TOO_MANY_CONTEXTS', 0x02f: 'AUTH_UNAVAILABLE',
  0x030: 'REBOOT', 0x031: 'UNBALANCED', 0x042: 'COMMAND_SIZE', 0x043: 'COMMAND_CODE', 0x044: 'AUTHSIZE',
  0x045: 'AUTH_CONTEXT', 0x046: 'NV_RANGE', 0x047: 'NV_SIZE', 0x048: 'NV_LOCKED', 0x049: 'NV_AUTHORIZATION',
  0x04a: 'NV_UNINITIALIZED', 0x04b: 'NV_SPACE', 0x04c: 'NV_DEFINED', 0x050: 'BAD_CONTEXT', 0x051: 'CPHASH',
  0x052: 'PARENT', 0x053: 'NEEDS_TEST', 0x054: 'NO_RESULT', 0x055: 'SENSITIVE',
};

// Part 2 §6.6.3 Table 16, format-one codes relative to RC_FMT1.
const FMT1: Record<number, string> = {
  0x001: 'ASYMMETRIC', 0x002: 'ATTRIBUTES', 0x003: 'HASH', 0x004: 'VALUE', 0x005: 'HIERARCHY',
  0x007: 'KEY_SIZE', 0x008: 'MGF', 0x009: 'MODE', 0x00a: 'TYPE', 0x00b: 'HANDLE', 0x00c: 'KDF',
  0x00d: 'RANGE', 0x00e: 'AUTH_FAIL', 0x00f: 'NONCE', 0x010: 'PP', 0x012: 'SCHEME', 0x015: 'SIZE',
  0x016: 'SYMMETRIC', 0x017: 'TAG', 0x018: 'SELECTOR', 0x01a: 'INSUFFICIENT', 0x01b: 'SIGNATURE',
  0x01c: 'KEY', 0x01d: 'POLICY_FAIL', 0x01f: 'INTEGRITY', 0x020: 'TICKET', 0x021: 'RESERVED_BITS',
  0x022: 'BAD_AUTH', 0x023: 'EXPIRED', 0x024: 'POLICY_CC', 0x025: 'BINDING', 0x026: 'CURVE', 0x027: 'ECC_POINT',
};

// Part 2 §6.6.3 Table 16, warnings relative to RC_WARN.
const WARN: Record<number, string> = {
  0x001: 'CONTEXT_GAP', 0x002: 'OBJECT_MEMORY', 0x003: 'SESSION_MEMORY', 0x004: 'MEMORY',
  0x005: 'SESSION_HANDLES', 0x006: 'OBJECT_HANDLES', 0x007: 'LOCALITY', 0x008: 'YIELDED',
  0x009: 'CANCELED', 0x00a: 'TESTING', 0x020: 'NV_RATE', 0x021: 'LOCKOUT', 0x022: 'RETRY',
  0x023: 'NV_UNAVAILABLE',
};
for (let i = 0; i < 7; i++) {
  WARN[0x010 + i] = `REFERENCE_H${i}`;
  WARN[0x018 + i] = `REFERENCE_S${i}`;
}

/**
 * A response code by its spec name (`TPM_RC_AUTH_FAIL`), or by its number when the tables
 * above do not name it (`TPM_RC_FMT1_0x0bf`): the TPM may answer any value, so the set is open.
 */
export type TpmRcCode = `TPM_RC_${string}`;

export interface DecodedRc {
  rc: number;
  /** Spec name without qualifiers, e.g. `TPM_RC_AUTH_FAIL`; stable, usable as an error code. */
  name: TpmRcCode;
  /** The name with its qualifier, e.g. `TPM_RC_AUTH_FAIL (session 1)`. */
  text: string;
  parameter?: number;
  handle?: number;
  session?: number;
  warning: boolean;
}

export function decodeRc(rc: number): DecodedRc {
  const hexRc = `0x${rc.toString(16).padStart(3, '0')}`;
  if (rc === 0) return { rc, name: 'TPM_RC_SUCCESS', text: 'TPM_RC_SUCCESS', warning: false };
  if (rc & RC_FMT1) {
    // Figure 3: bits 5:0 error number, bit 6 P, bits 11:8 parameter number when P, else
    // bit 11 set means a session number in bits 10:8, clear means a handle number.
    const base = FMT1[rc & 0x3f];
    const name: TpmRcCode = base ? `TPM_RC_${base}` : `TPM_RC_FMT1_${hexRc}`;
    const n = (rc >>> 8) & 0xf;
    if (rc & 0x40) return { rc, name, text: `${name} (parameter ${n})`, parameter: n, warning: false };
    if (n & 0x8) return { rc, name, text: `${name} (session ${n & 0x7})`, session: n & 0x7, warning: false };
    if (n) return { rc, name, text: `${name} (handle ${n})`, handle: n, warning: false };
    return { rc, name, text: name, warning: false };
  }
  // Figure 2: bit 8 V (TPM 2.0 code), bit 10 T (vendor), bit 11 S (warning), bits 6:0 E.
  if (!(rc & RC_VER1)) return { rc, name: 'TPM_RC_TPM12', text: `TPM 1.2 response code ${hexRc}`, warning: false };
  if (rc & 0x400) return { rc, name: 'TPM_RC_VENDOR', text: `vendor response code ${hexRc}`, warning: false };
  const warning = (rc & RC_WARN) === RC_WARN;
  const base = (warning ? WARN : VER1)[rc & 0x7f];
  const name: TpmRcCode = base ? `TPM_RC_${base}` : `TPM_RC_${warning ? 'WARN' : 'VER1'}_${hexRc}`;
  return { rc, name, text: name, warning };
}

/** Format-zero/one with handle/parameter/session stripped, for comparing a response to a named code. */
export function rcBase(rc: number): number {
  return rc & RC_FMT1 ? rc & 0xbf : rc;
}

export const RC = {
  SUCCESS: 0x000,
  INITIALIZE: RC_VER1 + 0x000,
  NV_UNINITIALIZED: RC_VER1 + 0x04a,
  NV_DEFINED: RC_VER1 + 0x04c,
  HANDLE: RC_FMT1 + 0x00b,
  AUTH_FAIL: RC_FMT1 + 0x00e,
  BAD_AUTH: RC_FMT1 + 0x022,
  OBJECT_MEMORY: RC_WARN + 0x002,
  RETRY: RC_WARN + 0x022,
  TESTING: RC_WARN + 0x00a,
  YIELDED: RC_WARN + 0x008,
} as const;
