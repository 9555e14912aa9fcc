/**
 * Command and response framing (TPM 2.0 Part 1 §18 and Part 3 §5): header, handle area,
 * authorisation area (password, HMAC and policy sessions, Part 2 §10.13 TPMS_AUTH_COMMAND /
 * TPMS_AUTH_RESPONSE), parameter area; HMAC computation, response HMAC checking and
 * parameter encryption of the first command parameter (session.ts has the formulas).
 */
import { randomBytes } from 'node:crypto';
import { CC_NAME, RH, ST } from './constants.ts';
import { TpmReader, TpmWriter } from './marshal.ts';
import { isHmacAuth, TPMA_SESSION, type Authorization, type AuthSession } from './session.ts';
import { cfbParameter, equalBytes, hmacSha256, sha256 } from './session-crypto.ts';
import { TpmError } from './tpm-error.ts';

export interface CommandSpec {
  cc: number;
  handles?: number[];
  /**
   * One authorisation per handle that needs one, in order (Part 1 §19.6.8 TPM_RS_PW passwords,
   * HMAC sessions, policy sessions); absent means no authorisation area.
   */
  auths?: Authorization[];
  /**
   * The Names of `handles` (Part 1 §16), needed when an HMAC session is used: the cpHash
   * covers them. A permanent handle's Name is the handle itself.
   */
  names?: Uint8Array[];
  params?: Uint8Array;
}

/** What buildCommand remembers to check the response: the nonces each HMAC session sent. */
export interface PreparedCommand {
  bytes: Uint8Array;
  nonceCallers: (Uint8Array | undefined)[];
  attributes: number[];
}

export function commandName(cc: number): string {
  return CC_NAME[cc] ?? `TPM_CC 0x${cc.toString(16)}`;
}

const u32b = (n: number) => new TpmWriter().u32(n).finish();

/** HMAC key of a session for an entity: sessionKey || authValue (Part 1 "HMAC Computation"). */
function hmacKey(s: AuthSession, authValue: Uint8Array): Uint8Array {
  return Buffer.concat([s.sessionKey, authValue]);
}

/** Builds the command bytes; with HMAC sessions also encrypts the first parameter and computes each HMAC. */
export function prepareCommand(spec: CommandSpec): PreparedCommand {
  const auths = spec.auths ?? [];
  const withSessions = auths.length > 0;
  let params = spec.params ?? new Uint8Array(0);
  const nonceCallers: (Uint8Array | undefined)[] = [];
  const attributes: number[] = [];
  const hmacs = auths.filter(isHmacAuth);
  if (hmacs.filter((a) => a.decrypt).length > 1) throw new TpmError('TPM_MARSHAL', 'at most one session may decrypt');
  for (const a of auths) {
    if (a instanceof Uint8Array) {
      nonceCallers.push(undefined);
      attributes.push(0);
    } else {
      nonceCallers.push(randomBytes(32));
      attributes.push(TPMA_SESSION.continueSession | (isHmacAuth(a) && a.decrypt ? TPMA_SESSION.decrypt : 0));
    }
  }
  // Parameter encryption (Part 1 §21): only the data of the first parameter, a TPM2B; its size stays clear.
  auths.forEach((a, i) => {
    if (!isHmacAuth(a) || !a.decrypt) return;
    if (params.length < 2) throw new TpmError('TPM_MARSHAL', `${commandName(spec.cc)}: no first parameter to encrypt`);
    const size = (params[0]! << 8) | params[1]!;
    if (params.length < 2 + size) throw new TpmError('TPM_MARSHAL', `${commandName(spec.cc)}: first parameter shorter than its size`);
    const enc = cfbParameter(true, hmacKey(a.session, a.authValue), nonceCallers[i]!, a.session.nonceTPM, params.subarray(2, 2 + size));
    params = Buffer.concat([params.subarray(0, 2), enc, params.subarray(2 + size)]);
  });
  let cpHash: Uint8Array | undefined;
  if (hmacs.length) {
    const names = spec.names ?? [];
    if (names.length !== (spec.handles ?? []).length) throw new TpmError('TPM_MARSHAL', `${commandName(spec.cc)}: an HMAC session needs the Name of every handle`);
    // Part 1 "Command Parameter Hash (cpHash)": over the parameters as sent, i.e. encrypted.
    cpHash = sha256(u32b(spec.cc), ...names, params);
  }
  const w = new TpmWriter();
  w.u16(withSessions ? ST.SESSIONS : ST.NO_SESSIONS).u32(0).u32(spec.cc);
  for (const h of spec.handles ?? []) w.u32(h);
  if (withSessions) {
    const area = new TpmWriter();
    auths.forEach((a, i) => {
      if (a instanceof Uint8Array) {
        // TPMS_AUTH_COMMAND: handle, nonceCaller, attributes, hmac (= the password).
        area.u32(RH.RS_PW).tpm2b(new Uint8Array(0)).u8(0).tpm2b(a);
      } else if (isHmacAuth(a)) {
        const attrs = new Uint8Array([attributes[i]!]);
        const mac = hmacSha256(hmacKey(a.session, a.authValue), cpHash!, nonceCallers[i]!, a.session.nonceTPM, attrs);
        area.u32(a.session.handle).tpm2b(nonceCallers[i]!).u8(attributes[i]!).tpm2b(mac);
      } else {
        // A policy session whose policy has no PolicyAuthValue/PolicyPassword carries an empty hmac.
        area.u32(a.policy.handle).tpm2b(nonceCallers[i]!).u8(attributes[i]!).tpm2b(new Uint8Array(0));
      }
    });
    const bytes = area.finish();
    w.u32(bytes.length).bytes(bytes);
  }
  w.bytes(params);
  const out = w.finish();
  new DataView(out.buffer).setUint32(2, out.length);
  return { bytes: out, nonceCallers, attributes };
}

export function buildCommand(spec: CommandSpec): Uint8Array {
  return prepareCommand(spec).bytes;
}

export function responseCode(resp: Uint8Array): number {
  return new DataView(resp.buffer, resp.byteOffset, resp.byteLength).getUint32(6);
}

export interface ParsedResponse {
  handles: number[];
  /** Exactly the parameter area; auth responses are not in it. */
  params: TpmReader;
}

/**
 * Parses a successful response; an error response code becomes a TpmError with its decoded
 * name. With sessions, each session's response HMAC is checked (a mismatch means the bytes did
 * not come from the TPM that holds the session key: TPM_RESPONSE_HMAC) and its nonceTPM rolled.
 */
export function parseResponse(resp: Uint8Array, spec: CommandSpec | number, handleCount = 0, prepared?: PreparedCommand): ParsedResponse {
  const cc = typeof spec === 'number' ? spec : spec.cc;
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
    const params = r.bytes(paramSize);
    const auths = typeof spec === 'number' ? [] : spec.auths ?? [];
    if (auths.length && prepared) {
      const rpHash = sha256(u32b(0), u32b(cc), params);
      auths.forEach((a, i) => {
        const nonceTPM = r.tpm2b();
        const attrs = r.u8();
        const mac = r.tpm2b();
        if (a instanceof Uint8Array) return;
        const s = isHmacAuth(a) ? a.session : a.policy;
        if (isHmacAuth(a)) {
          const want = hmacSha256(hmacKey(s, a.authValue), rpHash, nonceTPM, prepared.nonceCallers[i]!, new Uint8Array([attrs]));
          if (!equalBytes(mac, want)) {
            s.stale = true;
            throw new TpmError('TPM_RESPONSE_HMAC', `${name}: response HMAC of session ${i} does not verify`, { session: i });
          }
        }
        s.nonceTPM = nonceTPM;
      });
    }
    return { handles, params: new TpmReader(params, name) };
  }
  if (tag !== ST.NO_SESSIONS) throw new TpmError('TPM_MALFORMED_RESPONSE', `${name}: unknown response tag 0x${tag.toString(16)}`);
  return { handles, params: new TpmReader(r.bytes(r.remaining), name) };
}

export function authValue(auth: string | Uint8Array | undefined): Uint8Array {
  if (auth === undefined) return new Uint8Array(0);
  return typeof auth === 'string' ? new TextEncoder().encode(auth) : auth;
}
