/**
 * Command and response framing (TPM 2.0 Part 1 §18.2 and Part 3 §5): header, handle area,
 * authorisation area with password sessions, parameter area. Pure.
 */
import { CC_NAME, RH, ST } from './constants.ts';
import { TpmReader, TpmWriter } from './marshal.ts';
import { TpmError } from './tpm-error.ts';

export interface CommandSpec {
  cc: number;
  handles?: number[];
  /** One password per session (Part 1 §19.6.8, TPM_RS_PW); absent means no authorisation area. */
  auths?: Uint8Array[];
  params?: Uint8Array;
}

export function commandName(cc: number): string {
  return CC_NAME[cc] ?? `TPM_CC 0x${cc.toString(16)}`;
}

export function buildCommand(spec: CommandSpec): Uint8Array {
  const withSessions = spec.auths !== undefined && spec.auths.length > 0;
  const w = new TpmWriter();
  w.u16(withSessions ? ST.SESSIONS : ST.NO_SESSIONS).u32(0).u32(spec.cc);
  for (const h of spec.handles ?? []) w.u32(h);
  if (withSessions) {
    const a = new TpmWriter();
    for (const pw of spec.auths!) {
      // Part 2 §10.13.2 TPMS_AUTH_COMMAND: handle, nonceCaller, attributes, hmac (= the password).
      a.u32(RH.RS_PW).tpm2b(new Uint8Array(0)).u8(0).tpm2b(pw);
    }
    const area = a.finish();
    w.u32(area.length).bytes(area);
  }
  if (spec.params) w.bytes(spec.params);
  const out = w.finish();
  new DataView(out.buffer).setUint32(2, out.length);
  return out;
}

export function responseCode(resp: Uint8Array): number {
  return new DataView(resp.buffer, resp.byteOffset, resp.byteLength).getUint32(6);
}

export interface ParsedResponse {
  handles: number[];
  /** Exactly the parameter area; auth responses are not in it. */
  params: TpmReader;
}

/** Parses a successful response; an error response code becomes a TpmError with its decoded name. */
export function parseResponse(resp: Uint8Array, cc: number, handleCount = 0): ParsedResponse {
  const name = commandName(cc);
  const r = new TpmReader(resp, name);
  const tag = r.u16();
  const size = r.u32();
  const rc = r.u32();
  if (size !== resp.length) throw new TpmError('TPM_MALFORMED_RESPONSE', `${name}: size field ${size} but ${resp.length} bytes`);
  if (rc !== 0) throw TpmError.fromRc(rc, name);
  const handles: number[] = [];
  for (let i = 0; i < handleCount; i++) handles.push(r.u32());
  if (tag === ST.SESSIONS) {
    // Part 1 §18.8: parameterSize precedes the parameters when sessions are present.
    const paramSize = r.u32();
    return { handles, params: new TpmReader(r.bytes(paramSize), name) };
  }
  if (tag !== ST.NO_SESSIONS) throw new TpmError('TPM_MALFORMED_RESPONSE', `${name}: unknown response tag 0x${tag.toString(16)}`);
  return { handles, params: new TpmReader(r.bytes(r.remaining), name) };
}

export function authValue(auth: string | Uint8Array | undefined): Uint8Array {
  if (auth === undefined) return new Uint8Array(0);
  return typeof auth === 'string' ? new TextEncoder().encode(auth) : auth;
}
