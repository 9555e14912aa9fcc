/** The CBOR data model as this project uses it (RFC 8949 §3). */
export class CborTag {
  /**
   * `encoded`: set by the decoder to the exact bytes the tagged item was read from, so a nested
   * signed object (a credential carried inline in a COSE header) can be verified and hashed as
   * received. The encoder ignores it and encodes tag and value.
   */
  constructor(
    readonly tag: number,
    readonly value: CborValue,
    readonly encoded?: Uint8Array,
  ) {}
}

/**
 * One data item that is already encoded, written as it is (RFC 8949 §3: a data item nested in
 * an array or map is its own encoding). The caller vouches that `bytes` is exactly one
 * well-formed, deterministically encoded item: a credential's COSE_Sign1 carried inline.
 */
export class CborRaw {
  constructor(readonly bytes: Uint8Array) {}
}

/** A float that must be encoded as a float even when it is integral (e.g. 1.0). */
export class CborFloat {
  constructor(readonly value: number) {}
}

export type CborMapKey = number | bigint | string | Uint8Array;
export type CborValue =
  | number
  | bigint
  | string
  | boolean
  | null
  | undefined
  | Uint8Array
  | CborFloat
  | CborTag
  | CborRaw
  | CborValue[]
  | Map<CborMapKey, CborValue>
  | { [key: string]: CborValue };
