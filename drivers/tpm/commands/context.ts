/** Startup, capabilities, randomness and context flushing (TPM 2.0 Part 3 §9.3, §16.1, §28.4, §30.2). */
import type { TpmClient } from '../client.ts';
import { CAP, CC, SU_CLEAR, TRANSIENT_FIRST } from '../constants.ts';
import { TpmWriter } from '../marshal.ts';
import { RC } from '../response-code.ts';
import { TpmError } from '../tpm-error.ts';

/** Part 3 §9.3 TPM2_Startup(CLEAR). Returns false when the TPM was already started (TPM_RC_INITIALIZE). */
export async function startup(tpm: TpmClient): Promise<boolean> {
  try {
    await tpm.execute({ cc: CC.Startup, params: new TpmWriter().u16(SU_CLEAR).finish() }, { idempotent: true });
    return true;
  } catch (e) {
    if (e instanceof TpmError && e.rc === RC.INITIALIZE) return false;
    throw e;
  }
}

/** Part 3 §30.2 TPM2_GetCapability(TPM_CAP_HANDLES): handles from `first`, following moreData. */
export async function getHandles(tpm: TpmClient, first: number, max = 64): Promise<number[]> {
  const out: number[] = [];
  let next = first;
  const range = first & 0xff000000;
  for (;;) {
    const params = new TpmWriter().u32(CAP.HANDLES).u32(next).u32(max).finish();
    const { params: r } = await tpm.execute({ cc: CC.GetCapability, params }, { idempotent: true });
    const moreData = r.u8();
    r.u32(); // capability echoed
    const count = r.u32();
    let last = next;
    for (let i = 0; i < count; i++) {
      const h = r.u32();
      if ((h & 0xff000000) !== range) return out;
      out.push(h);
      last = h;
    }
    if (!moreData || count === 0) return out;
    next = last + 1;
  }
}

/** Part 3 §30.2 TPM2_GetCapability(TPM_CAP_TPM_PROPERTIES): tagged properties from `first`. */
export async function getProperties(tpm: TpmClient, first: number, count: number): Promise<Map<number, number>> {
  const params = new TpmWriter().u32(CAP.TPM_PROPERTIES).u32(first).u32(count).finish();
  const { params: r } = await tpm.execute({ cc: CC.GetCapability, params }, { idempotent: true });
  r.u8();
  r.u32();
  const n = r.u32();
  const out = new Map<number, number>();
  for (let i = 0; i < n; i++) out.set(r.u32(), r.u32());
  return out;
}

/** Part 3 §16.1 TPM2_GetRandom. */
export async function getRandom(tpm: TpmClient, count: number): Promise<Uint8Array> {
  const { params: r } = await tpm.execute({ cc: CC.GetRandom, params: new TpmWriter().u16(count).finish() }, { idempotent: true });
  return r.tpm2b();
}

/** Part 3 §28.4 TPM2_FlushContext: the handle is a parameter, not in the handle area. */
export async function flushContext(tpm: TpmClient, handle: number): Promise<void> {
  await tpm.execute({ cc: CC.FlushContext, params: new TpmWriter().u32(handle).finish() }, { idempotent: false });
}

/**
 * Flushes every transient object left loaded (by a crashed run or by tools without a
 * resource manager): swtpm has three slots and no resource manager. Returns the handles.
 */
export async function flushTransientLeftovers(tpm: TpmClient, keep: number[] = []): Promise<number[]> {
  const handles = (await getHandles(tpm, TRANSIENT_FIRST)).filter((h) => !keep.includes(h));
  for (const h of handles) await flushContext(tpm, h);
  return handles;
}

/** Part 2 §7.2 TPM_HT_HMAC_SESSION (0x02) and TPM_HT_POLICY_SESSION (0x03): the first handle of each range. */
export const SESSION_RANGES = [0x02000000, 0x03000000] as const;

/** Flushes sessions left loaded by a crashed run (swtpm keeps them; it has three session slots). */
export async function flushSessionLeftovers(tpm: TpmClient): Promise<number[]> {
  const out: number[] = [];
  for (const first of SESSION_RANGES) {
    for (const h of await getHandles(tpm, first)) {
      await flushContext(tpm, h);
      out.push(h);
    }
  }
  return out;
}
