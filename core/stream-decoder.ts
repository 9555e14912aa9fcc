/**
 * What `place-agent decode <codec>` drives: bytes in, decoded messages and rejected frames out.
 * Every codec offers one, so an installer can see what any port is saying.
 *
 * `C` is the codec's registry (the union of the codes it reports): a decoder names its own, and
 * the command takes the union of all of them. `string` is for a consumer of any codec's events.
 */
export type DecodeEvent<C extends string = string> =
  | { ok: true; message: Record<string, unknown> }
  | { ok: false; code: C; reason: string; raw: string };

export interface StreamDecoder<C extends string = string> {
  push(chunk: Uint8Array): DecodeEvent<C>[];
  /** End of input: emits what is still buffered (e.g. an incomplete frame as rejected). */
  flush(): DecodeEvent<C>[];
}
