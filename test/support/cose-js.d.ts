/**
 * The part of cose-js 0.9 (a COSE implementation the project does not encode with) that the
 * interop test calls; the package ships no type declarations.
 */
declare module 'cose-js' {
  export const sign: {
    /** Verifies a COSE_Sign1 (tag 18) or COSE_Sign; returns the payload, throws on a bad signature. */
    verifySync(message: Uint8Array, verifier: { key: { x: Uint8Array; y: Uint8Array } }, options?: { defaultType?: number }): Buffer;
  };
}
