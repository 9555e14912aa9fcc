/**
 * What `place-agent decode <codec>` drives: bytes in, decoded messages and rejected frames out.
 * Every codec offers one, so an installer can see what any port is saying.
 */
export type DecodeEvent =
  | { ok: true; message: Record<string, unknown> }
  | { ok: false; code: string; reason: string; raw: string };

export interface StreamDecoder {
  push(chunk: Uint8Array): DecodeEvent[];
  /** End of input: emits what is still buffered (e.g. an incomplete frame as rejected). */
  flush(): DecodeEvent[];
}
