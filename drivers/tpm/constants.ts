/** Constants from TPM 2.0 Part 2 (structures). Facts, cited by table. */

// Part 2 §6.9 Table 19, TPM_ST.
export const ST = {
  NO_SESSIONS: 0x8001,
  SESSIONS: 0x8002,
  ATTEST_CERTIFY: 0x8017,
  ATTEST_QUOTE: 0x8018,
  HASHCHECK: 0x8024,
} as const;

// Part 2 §6.5.2 Table 12, TPM_CC.
export const CC = {
  NV_UndefineSpace: 0x122,
  HierarchyChangeAuth: 0x129,
  ActivateCredential: 0x147,
  PolicySecret: 0x151,
  Create: 0x153,
  Load: 0x157,
  StartAuthSession: 0x176,
  EvictControl: 0x120,
  NV_DefineSpace: 0x12a,
  CreatePrimary: 0x131,
  NV_Increment: 0x134,
  Startup: 0x144,
  Certify: 0x148,
  NV_Read: 0x14e,
  Quote: 0x158,
  Sign: 0x15d,
  FlushContext: 0x165,
  NV_ReadPublic: 0x169,
  ReadPublic: 0x173,
  GetCapability: 0x17a,
  GetRandom: 0x17b,
  PCR_Read: 0x17e,
} as const;

export const CC_NAME: Record<number, string> = Object.fromEntries(Object.entries(CC).map(([k, v]) => [v, `TPM2_${k}`]));

// Part 2 §6.3 Table 9, TPM_ALG_ID.
export const ALG = {
  RSA: 0x0001,
  SHA256: 0x000b,
  NULL: 0x0010,
  ECDSA: 0x0018,
  ECC: 0x0023,
} as const;

// Part 2 §6.4 Table 10, TPM_ECC_CURVE.
export const ECC_NIST_P256 = 0x0003;

// Part 2 §7.4 Table 28 (TPM_RH) and §7.2 (handle ranges).
export const RH = {
  OWNER: 0x40000001,
  NULL: 0x40000007,
  RS_PW: 0x40000009,
  ENDORSEMENT: 0x4000000b,
} as const;

export const HT = {
  NV_INDEX: 0x01,
  TRANSIENT: 0x80,
  PERSISTENT: 0x81,
} as const;

export const TRANSIENT_FIRST = 0x80000000;
/** Part 2 §7.5 Table 29: owner-hierarchy persistent range (TCG Handle Registry: 0x81000000–0x817FFFFF). */
export const PERSISTENT_OWNER_FIRST = 0x81000000;
export const PERSISTENT_OWNER_LAST = 0x817fffff;

// Part 2 §6.12 Table 23, TPM_CAP.
export const CAP = {
  HANDLES: 0x00000001,
  TPM_PROPERTIES: 0x00000006,
} as const;

// Part 2 §6.13 Table 24, TPM_PT (PT_FIXED = 0x100, PT_VAR = 0x200).
export const PT = {
  FAMILY_INDICATOR: 0x100,
  MANUFACTURER: 0x105,
  HR_TRANSIENT_MIN: 0x10e,
  NV_COUNTERS_MAX: 0x122,
  HR_TRANSIENT_AVAIL: 0x207,
} as const;

// Part 2 §6.5 Table 6, TPM_SU.
export const SU_CLEAR = 0x0000;

// Part 2 §8.3.2 Table 31, TPMA_OBJECT bits.
export const TPMA_OBJECT = {
  fixedTPM: 1 << 1,
  stClear: 1 << 2,
  fixedParent: 1 << 4,
  sensitiveDataOrigin: 1 << 5,
  userWithAuth: 1 << 6,
  adminWithPolicy: 1 << 7,
  noDA: 1 << 10,
  encryptedDuplication: 1 << 11,
  restricted: 1 << 16,
  decrypt: 1 << 17,
  sign: 1 << 18,
} as const;

// Part 2 §13.4 Table 204, TPMA_NV bits; §13.2 Table 202, TPM_NT in bits 7:4.
export const TPMA_NV = {
  PPWRITE: 1 << 0,
  OWNERWRITE: 1 << 1,
  AUTHWRITE: 1 << 2,
  POLICYWRITE: 1 << 3,
  NT_COUNTER: 1 << 4,
  PPREAD: 1 << 16,
  OWNERREAD: 1 << 17,
  AUTHREAD: 1 << 18,
  POLICYREAD: 1 << 19,
  NO_DA: 1 << 25,
  WRITTEN: 1 << 29,
} as const;
export const NT_MASK = 0xf0;

/** Part 2 §10.12.1: TPM_GENERATED_VALUE, the magic of every TPMS_ATTEST. */
export const TPM_GENERATED_VALUE = 0xff544347;
