/** The CBOR data model as this project uses it (RFC 8949 §3). */
export class CborTag {
  constructor(readonly tag: number, readonly value: CborValue) {}
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
  | CborValue[]
  | Map<CborMapKey, CborValue>
  | { [key: string]: CborValue };
