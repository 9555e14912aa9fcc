/**
 * Pure TPM codecs: response-code decoding, TCTI parsing, marshalling, command framing,
 * TPMS_ATTEST parsing and low-S shaping. Byte fixtures are from TPM 2.0 Part 3 layouts
 * (Startup is the well-known 12-byte `80 01 00 00 00 0c 00 00 01 44 00 00`).
 */
import { describe, expect, it } from 'vitest';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { decodeRc } from '../../drivers/tpm/response-code.ts';
import { parseTcti } from '../../drivers/tpm/tcti.ts';
import { TpmReader, TpmWriter } from '../../drivers/tpm/marshal.ts';
import { buildCommand, parseResponse } from '../../drivers/tpm/command.ts';
import { CC } from '../../drivers/tpm/constants.ts';
import { parseAttest } from '../../drivers/tpm/commands/attest.ts';
import { isHighS, rawLowS } from '../../drivers/tpm/ecdsa.ts';
import { eccTemplate, marshalEccPublic, readEccPublic, SIGNING_KEY_ATTRIBUTES, ATTESTATION_KEY_ATTRIBUTES } from '../../drivers/tpm/public-area.ts';
import { TpmError } from '../../drivers/tpm/tpm-error.ts';

const h = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const N = p256.Point.CURVE().n;

describe('response codes (Part 2 §6.6)', () => {
  it.each([
    [0x98e, 'TPM_RC_AUTH_FAIL', 'TPM_RC_AUTH_FAIL (session 1)'],
    [0x9a2, 'TPM_RC_BAD_AUTH', 'TPM_RC_BAD_AUTH (session 1)'],
    [0x18b, 'TPM_RC_HANDLE', 'TPM_RC_HANDLE (handle 1)'],
    [0x28b, 'TPM_RC_HANDLE', 'TPM_RC_HANDLE (handle 2)'],
    [0x1c4, 'TPM_RC_VALUE', 'TPM_RC_VALUE (parameter 1)'],
    [0x3e0, 'TPM_RC_TICKET', 'TPM_RC_TICKET (parameter 3)'],
    [0x902, 'TPM_RC_OBJECT_MEMORY', 'TPM_RC_OBJECT_MEMORY'],
    [0x100, 'TPM_RC_INITIALIZE', 'TPM_RC_INITIALIZE'],
    [0x14a, 'TPM_RC_NV_UNINITIALIZED', 'TPM_RC_NV_UNINITIALIZED'],
    [0x14c, 'TPM_RC_NV_DEFINED', 'TPM_RC_NV_DEFINED'],
    [0x921, 'TPM_RC_LOCKOUT', 'TPM_RC_LOCKOUT'],
    [0x084, 'TPM_RC_VALUE', 'TPM_RC_VALUE'],
  ])('0x%s decodes to %s', (rc, name, text) => {
    const d = decodeRc(rc);
    expect(d.name).toBe(name);
    expect(d.text).toBe(text);
  });

  it('puts the decoded name, qualifier and command into TpmError', () => {
    const e = TpmError.fromRc(0x98e, 'TPM2_Sign');
    expect(e.code).toBe('TPM_RC_AUTH_FAIL');
    expect(e.message).toBe('TPM2_Sign failed: TPM_RC_AUTH_FAIL (session 1) (rc 0x98e)');
    expect(e.details).toMatchObject({ rc: 0x98e, session: 1, command: 'TPM2_Sign' });
  });

  it('names unknown codes without inventing a meaning', () => {
    expect(decodeRc(0x17f).name).toBe('TPM_RC_VER1_0x17f');
    expect(decodeRc(0x500).name).toBe('TPM_RC_VENDOR');
    expect(decodeRc(0x001).name).toBe('TPM_RC_TPM12');
  });
});

describe('TCTI strings (tpm2-tools syntax)', () => {
  it('parses swtpm and device TCTIs with defaults', () => {
    expect(parseTcti('swtpm:host=127.0.0.1,port=2321')).toEqual({ kind: 'swtpm', host: '127.0.0.1', port: 2321, ctrlPort: 2322 });
    expect(parseTcti('swtpm:port=4000,ctrlport=5000')).toEqual({ kind: 'swtpm', host: 'localhost', port: 4000, ctrlPort: 5000 });
    expect(parseTcti('swtpm')).toEqual({ kind: 'swtpm', host: 'localhost', port: 2321, ctrlPort: 2322 });
    expect(parseTcti('device:/dev/tpmrm0')).toEqual({ kind: 'device', path: '/dev/tpmrm0' });
    expect(parseTcti('device:/dev/tpm0')).toEqual({ kind: 'device', path: '/dev/tpm0' });
    expect(parseTcti('device')).toEqual({ kind: 'device', path: '/dev/tpmrm0' });
  });

  it.each(['mssim:host=x', 'swtpm:port=99999', 'swtpm:port=abc', 'swtpm:hots=1', 'swtpm:host', 'device:tpmrm0'])('rejects %s with TPM_TCTI', (t) => {
    expect(() => parseTcti(t)).toThrow(expect.objectContaining({ code: 'TPM_TCTI' }));
  });
});

describe('marshalling and command framing (Part 1 §18, Part 3)', () => {
  it('frames TPM2_Startup(CLEAR) as the well-known 12 bytes', () => {
    expect(buildCommand({ cc: CC.Startup, params: new TpmWriter().u16(0).finish() })).toEqual(h('8001 0000000c 00000144 0000'));
  });

  it('puts the FlushContext handle in the parameters', () => {
    expect(buildCommand({ cc: CC.FlushContext, params: new TpmWriter().u32(0x80000001).finish() })).toEqual(h('8001 0000000e 00000165 80000001'));
  });

  it('frames a password session: TPM_RS_PW, empty nonce, attributes 0, the password as hmac', () => {
    const cmd = buildCommand({ cc: CC.NV_Increment, handles: [0x01500101, 0x01500101], auths: [new TextEncoder().encode('pw')] });
    expect(cmd).toEqual(h('8002 00000021 00000134 01500101 01500101 0000000b 40000009 0000 00 0002 7077'));
  });

  it('parses a session response: parameterSize bounds the parameters, auth area excluded', () => {
    // TPM2_Sign response shape: tag, size, rc, parameterSize, TPMT_SIGNATURE, auth response.
    const params = h('0018 000b 0001 05 0001 07');
    const resp = new TpmWriter().u16(0x8002).u32(10 + 4 + params.length + 5).u32(0).u32(params.length).bytes(params).bytes(h('0000 01 0000')).finish();
    const r = parseResponse(resp, CC.Sign);
    expect(r.params.remaining).toBe(params.length);
  });

  it('turns an error response into a coded TpmError and rejects a wrong size field', () => {
    expect(() => parseResponse(h('8001 0000000a 00000902'), CC.CreatePrimary)).toThrow(
      expect.objectContaining({ code: 'TPM_RC_OBJECT_MEMORY', message: expect.stringContaining('TPM2_CreatePrimary') }),
    );
    expect(() => parseResponse(h('8001 0000000b 00000000'), CC.GetRandom)).toThrow(expect.objectContaining({ code: 'TPM_MALFORMED_RESPONSE' }));
  });

  it('reports short buffers and trailing bytes instead of truncating', () => {
    expect(() => new TpmReader(h('0005 0102')).tpm2b()).toThrow(expect.objectContaining({ code: 'TPM_MALFORMED_RESPONSE' }));
    const r = new TpmReader(h('0001 02 ff'));
    r.tpm2b();
    expect(() => r.end()).toThrow(expect.objectContaining({ code: 'TPM_MALFORMED_RESPONSE' }));
  });

  it('marshals the P-256 signing template as in Part 2 §12.2.4 and reads it back', () => {
    const t = marshalEccPublic(eccTemplate(SIGNING_KEY_ATTRIBUTES));
    expect(t).toEqual(h('0023 000b 00040472 0000 0010 0018 000b 0003 0010 0000 0000'));
    expect(marshalEccPublic(eccTemplate(ATTESTATION_KEY_ATTRIBUTES)).subarray(4, 8)).toEqual(h('00050472'));
    const back = readEccPublic(new TpmReader(t));
    expect(back.bytes).toEqual(t);
    expect(back.pub.objectAttributes).toBe(0x00040472);
  });
});

describe('TPMS_ATTEST (Part 2 §10.12.12)', () => {
  const certify = (magic: string, tail = '') =>
    h(`${magic} 8017 0002 aabb 0003 010203 0000000000000010 00000001 00000002 01 0000000000000007 0002 000b 0002 000b ${tail}`);

  it('parses a certify attestation', () => {
    const a = parseAttest(certify('ff544347'));
    expect(a.type).toBe(0x8017);
    expect(a.extraData).toEqual(h('010203'));
    expect(a.clock).toBe(16n);
    expect(a.safe).toBe(true);
    expect(a.certify!.name).toEqual(h('000b'));
  });

  it('rejects a wrong magic and trailing bytes', () => {
    expect(() => parseAttest(certify('ff544348'))).toThrow(expect.objectContaining({ code: 'TPM_ATTEST_INVALID' }));
    expect(() => parseAttest(certify('ff544347', '00'))).toThrow(expect.objectContaining({ code: 'TPM_MALFORMED_RESPONSE' }));
  });
});

describe('low-S shaping of TPM ECDSA signatures', () => {
  const sk = p256.utils.randomSecretKey();
  const pub = p256.getPublicKey(sk, false);
  const msg = new TextEncoder().encode('low-s');

  it('flips a high s to n - s so noble (lowS by default) accepts it', () => {
    const sig = p256.Signature.fromBytes(p256.sign(sha256(msg), sk, { prehash: false }));
    const highS = sig.s > N / 2n ? sig.s : N - sig.s;
    const hex32 = (v: bigint) => h(v.toString(16).padStart(64, '0'));
    const tpmSig = { hashAlg: 0x0b, r: hex32(sig.r), s: hex32(highS) };
    expect(isHighS(tpmSig)).toBe(true);
    const raw = rawLowS(tpmSig);
    expect(p256.verify(raw, msg, pub)).toBe(true);
    expect(BigInt('0x' + Buffer.from(raw.subarray(32)).toString('hex')) <= N / 2n).toBe(true);
  });

  it('left-pads short r and s TPM2Bs to 32 bytes', () => {
    const raw = rawLowS({ hashAlg: 0x0b, r: h('01'), s: h('0203') });
    expect(raw.length).toBe(64);
    expect(raw[31]).toBe(1);
    expect(raw.subarray(0, 31).every((b) => b === 0)).toBe(true);
    expect(Buffer.from(raw.subarray(62)).toString('hex')).toBe('0203');
  });

  it('rejects r or s of zero or at least n', () => {
    expect(() => rawLowS({ hashAlg: 0x0b, r: new Uint8Array(0), s: h('01') })).toThrow(TpmError);
    expect(() => rawLowS({ hashAlg: 0x0b, r: h('01'), s: h(N.toString(16)) })).toThrow(TpmError);
  });
});
