/**
 * The storage root key is made in a salted session: on a manufactured swtpm whose owner
 * hierarchy has an auth (set with tpm2_changeauth), the bytes on the bus show the CreatePrimary
 * under the owner hierarchy authorised by an HMAC session whose StartAuthSession carried an
 * ECDH salt to the ECC P-256 EK, the EK the TPM derived being the key of the certificate the
 * manufacturer wrote (made with tpm2_createek); tpm2_readpublic finds the SRK with the Name we
 * record. An EK that is not the key of its NV certificate is refused before any owner-auth command.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { startSwtpm, type SwtpmInstance } from '../../hil/swtpm.ts';
import { manufactureSwtpm, type ManufacturedTpm } from '../../hil/swtpm-ek.ts';
import { TpmClient } from '../../drivers/tpm/client.ts';
import { TpmReader } from '../../drivers/tpm/marshal.ts';
import { SocketTransport } from '../../drivers/tpm/socket-transport.ts';
import { BusRecorder } from './bus-recorder.ts';
import { tpm2Tool } from '../../hil/tpm2-tools.ts';
import { ensureStorageRoot, prepareTpm } from '../../drivers/tpm/provision.ts';
import { readTpm2bEccPublic } from '../../drivers/tpm/public-area.ts';

const CC_CREATE_PRIMARY = 0x131;
const CC_START_AUTH_SESSION = 0x176;
const RH_OWNER = 0x40000001;
const RH_ENDORSEMENT = 0x4000000b;
const RH_NULL = 0x40000007;
const SRK = 0x81000001;

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function manufactured(): Promise<{ mfg: ManufacturedTpm; tpm: SwtpmInstance; tools: (args: string[]) => Promise<string> }> {
  const mfg = await manufactureSwtpm();
  const tpm = await startSwtpm({ stateDir: mfg.stateDir });
  cleanup.push(() => rmSync(mfg.stateDir, { recursive: true, force: true }));
  cleanup.push(() => tpm.stop());
  const tools = async (args: string[]) => (await tpm2Tool(tpm.tcti, args)).toString();
  return { mfg, tpm, tools };
}

async function makeSrk(tpm: SwtpmInstance, ownerAuth: Uint8Array): Promise<{ bus: BusRecorder; result: Promise<Awaited<ReturnType<typeof ensureStorageRoot>>> }> {
  const bus = new BusRecorder(new SocketTransport({ host: tpm.host, port: tpm.port }));
  const client = new TpmClient(bus);
  const result = (async () => {
    try {
      await prepareTpm(client);
      return await ensureStorageRoot(client, SRK, ownerAuth);
    } finally {
      await client.close();
    }
  })();
  await result.catch(() => undefined);
  return { bus, result };
}

describe('the storage root key is created in a salted session', () => {
  it('CreatePrimary under the owner hierarchy runs in an HMAC session salted to the certified ECC EK; tpm2-tools finds the SRK', async () => {
    const { mfg, tpm, tools } = await manufactured();
    const owner = 'owner secret 7c1d';
    await tools(['tpm2_changeauth', '-c', 'owner', owner]);
    const { bus, result } = await makeSrk(tpm, new TextEncoder().encode(owner));
    const srk = await result;
    expect(srk.created).toBe(true);

    const ex = bus.exchanges;
    const ownerCp = ex.find((e) => e.cmd.readUInt32BE(6) === CC_CREATE_PRIMARY && e.cmd.readUInt32BE(10) === RH_OWNER)!;
    expect(ownerCp.resp.readUInt32BE(6)).toBe(0); // success
    const sessionHandle = ownerCp.cmd.readUInt32BE(18); // after header (10), the hierarchy (4) and authSize (4)
    expect(sessionHandle >>> 24).toBe(0x02); // an HMAC session (Part 2 §7.2 TPM_HT_HMAC_SESSION), not a password
    const start = ex.find((e) => e.cmd.readUInt32BE(6) === CC_START_AUTH_SESSION && e.resp.readUInt32BE(6) === 0 && e.resp.readUInt32BE(10) === sessionHandle)!;
    const tpmKey = start.cmd.readUInt32BE(10);
    expect(tpmKey).not.toBe(RH_NULL);
    expect(start.cmd.readUInt32BE(14)).toBe(RH_NULL); // unbound
    const nonceLen = start.cmd.readUInt16BE(18);
    // encryptedSalt: a TPMS_ECC_POINT, two 32-byte coordinates with their sizes (Part 2 §11.2.5.2).
    expect(start.cmd.readUInt16BE(20 + nonceLen)).toBe(68);

    // The salt key is the EK the TPM derived under the endorsement hierarchy, and it is the key of
    // the certificate the manufacturer made for tpm2_createek's EK.
    const ekCp = ex.find((e) => e.cmd.readUInt32BE(6) === CC_CREATE_PRIMARY && e.cmd.readUInt32BE(10) === RH_ENDORSEMENT && e.resp.readUInt32BE(10) === tpmKey)!;
    const r = new TpmReader(ekCp.resp.subarray(18), 'CreatePrimary response');
    const ek = readTpm2bEccPublic(r).pub;
    const jwk = new X509Certificate(readFileSync(mfg.eccEkCertFile)).publicKey.export({ format: 'jwk' });
    expect(Buffer.from(ek.x).toString('base64url')).toBe(jwk.x);
    expect(Buffer.from(ek.y).toString('base64url')).toBe(jwk.y);
    // No command carried the owner auth in clear.
    for (const e of ex) expect(e.cmd.includes(Buffer.from(owner))).toBe(false);

    // tpm2-tools sees the persistent SRK with the Name we recorded.
    const shown = await tools(['tpm2_readpublic', '-c', `0x${SRK.toString(16)}`]);
    expect(shown).toContain(`name: ${Buffer.from(srk.name).toString('hex')}`);
  }, 60_000);

  it('refuses to salt with an EK that is not the key of its NV certificate: no owner-auth command is sent', async () => {
    const { mfg, tpm, tools } = await manufactured();
    // The manufacturer's P-256 index now holds the certificate of another key (the RSA EK's).
    const der = readFileSync(mfg.ekCertFile);
    const other = join(mfg.stateDir, 'other-cert.der');
    writeFileSync(other, der);
    await tools(['tpm2_nvundefine', '0x01c0000a', '-C', 'p']);
    await tools(['tpm2_nvdefine', '0x01c0000a', '-C', 'p', '-s', String(der.length), '-a', 'ppwrite|ppread|ownerread|authread|no_da|platformcreate']);
    await tools(['tpm2_nvwrite', '0x01c0000a', '-C', 'p', '-i', other]);
    const { bus, result } = await makeSrk(tpm, new Uint8Array(0));
    await expect(result).rejects.toMatchObject({ code: 'TPM_KEY_MISMATCH' });
    expect(bus.exchanges.some((e) => e.cmd.readUInt32BE(6) === CC_CREATE_PRIMARY && e.cmd.readUInt32BE(10) === RH_OWNER)).toBe(false);
    await expect(tools(['tpm2_readpublic', '-c', `0x${SRK.toString(16)}`])).rejects.toThrow();
  }, 60_000);
});
