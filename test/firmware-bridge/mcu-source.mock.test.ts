import { afterEach, describe, expect, it } from 'vitest';
import type { Reading } from '../../core/reading.ts';
import { McuSource } from '../../firmware-bridge/host/mcu-source.ts';
import type { McuReadingValue, McuSourceOptions } from '../../firmware-bridge/host/mcu-source.ts';
import { ConfigKey, NakReason } from '../../firmware-bridge/host/message.ts';
import { createMemoryLinkPair } from '../../firmware-bridge/mock/memory-link.ts';
import { goSilent, MockMcu, rebootAfterAcks, replyNak, stopHeartbeating } from '../../firmware-bridge/mock/mock-mcu.ts';
import type { MockMcuOptions } from '../../firmware-bridge/mock/mock-mcu.ts';
import { waitUntil } from './wait-until.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function rig(mcuOpts: MockMcuOptions = {}, srcOpts: Partial<McuSourceOptions> = {}) {
  const pair = createMemoryLinkPair();
  const mcu = new MockMcu(pair.mcu, mcuOpts);
  await mcu.start();
  const source = new McuSource({ id: 'mcu:test', link: pair.host, requestTimeoutMs: 60, timeSyncIntervalMs: 200, ...srcOpts });
  const readings: Array<Reading<McuReadingValue>> = [];
  await source.start((r) => readings.push(r as Reading<McuReadingValue>));
  cleanups.push(async () => {
    await source.stop();
    mcu.stop();
  });
  return { pair, mcu, source, readings };
}

describe('McuSource against the mock MCU', () => {
  it('handshakes, syncs time and turns reports into Readings of the declared modality', async () => {
    const { mcu, source, readings } = await rig({}, { channels: { 0: { name: 'dock-door' } } });
    await waitUntil('session up', () => source.health().state === 'up');
    const h = source.health();
    expect(h.mcu).toMatchObject({ deviceId: 0x00c0ffee, bootId: 1, firmware: '1.0.0', protocolVersion: 1 });
    expect(h.timeSync!.uncertaintyMs).toBeGreaterThan(0);
    mcu.report(0, 1);
    mcu.report(1, 1523);
    mcu.report(1, -525, { exponent: -2, status: 2 });
    await waitUntil('3 readings', () => readings.length === 3);
    expect(readings.map((r) => r.modality)).toEqual(['door', 'range', 'range']);
    expect(readings[0]!.value).toMatchObject({ channel: 0, name: 'dock-door', value: 1, unit: 'bool', bootId: 1 });
    expect(readings[1]!.value).toMatchObject({ value: 1523, unit: 'mm' });
    expect(readings[2]!.value.value).toBe(-5.25);
    expect(readings[2]!.quality).toMatchObject({ ok: false, status: 'fault' });
    expect(readings[0]!.quality.ok).toBe(true);
    expect(readings[0]!.quality.timeUncertaintyMs).toBeGreaterThan(0);
    // The reading time is the mapped MCU tick, within the stated bound of now.
    expect(Math.abs(readings[0]!.t - Date.now())).toBeLessThan(1000);
    await waitUntil('all acked', () => mcu.acked.length === 3);
    expect(source.health().readings).toBe(3);
  });

  it('does not emit a retransmitted report twice but ACKs it again', async () => {
    const { pair, mcu, source, readings } = await rig();
    await waitUntil('up', () => source.health().state === 'up');
    // Drop every ACK the host sends for a while: the mock retransmits the same seq.
    let dropping = true;
    let dropped = 0;
    pair.host.tamper = (b) => {
      if (dropping && b[2] === 0x08) {
        // COBS block of an ACK frame: header byte 2 is the type (code byte, version, type).
        dropped++;
        return new Uint8Array(0);
      }
      return b;
    };
    mcu.report(1, 42);
    await waitUntil('several ACKs dropped', () => dropped >= 3);
    dropping = false;
    await waitUntil('acked', () => mcu.acked.length === 1);
    expect(readings).toHaveLength(1);
    expect(source.health().link.duplicates).toBeGreaterThanOrEqual(2);
  });

  it('CONFIG_SET / CONFIG_GET round trip, and a NAK surfaces as a coded error', async () => {
    const { mcu, source } = await rig();
    await waitUntil('up', () => source.health().state === 'up');
    await source.configSet(ConfigKey.REPORT_MS, 250);
    expect(mcu.config.get(ConfigKey.REPORT_MS)).toBe(250);
    expect(await source.configGet(ConfigKey.REPORT_MS)).toBe(250);
    mcu.defineBehaviour(replyNak(['CONFIG_SET'], NakReason.BAD_VALUE));
    await expect(source.configSet(ConfigKey.REPORT_MS, 1)).rejects.toMatchObject({ code: 'MCUB_NAK', details: { reason: NakReason.BAD_VALUE } });
    expect(source.health().link.naks).toBe(1);
  });

  it('reports a version mismatch instead of a session', async () => {
    const { source } = await rig({ versions: { min: 2, max: 3 } });
    await waitUntil('mismatch counted', () => (source.health().errors['MCUB_VERSION_MISMATCH'] ?? 0) > 0);
    expect(source.health().state).not.toBe('up');
    expect(source.health().detail).toMatch(/protocol version/);
  });

  it('watchdog: a hung MCU is reported stale, reset, and re-handshaken', async () => {
    const { pair, mcu, source } = await rig({ heartbeatMs: 50 });
    await waitUntil('up', () => source.health().state === 'up');
    const states = new Set<string>();
    const poll = setInterval(() => states.add(source.health().state), 5);
    cleanups.push(() => clearInterval(poll));
    mcu.defineBehaviour(goSilent({ clearOnReset: true }));
    await waitUntil('silence detected', () => (source.health().errors['MCUB_SILENT'] ?? 0) > 0);
    await waitUntil('back up on a new boot', () => source.health().state === 'up' && source.health().mcu?.bootId === 2);
    expect(states.has('stale')).toBe(true);
    const h = source.health();
    expect(h.link.resets).toBeGreaterThanOrEqual(1);
    expect(h.link.reboots).toBe(1);
    expect(h.errors['MCUB_REBOOTED']).toBe(1);
    expect(pair.host.signals).toContainEqual({ dtr: false }); // DTR pulsed as well
    expect(mcu.received.some((f) => f.type === 'RESET')).toBe(true);
  });

  it('watchdog fires on missing heartbeats alone', async () => {
    // No periodic time sync, so heartbeats are the only traffic.
    const { mcu, source } = await rig({ heartbeatMs: 50 }, { timeSyncIntervalMs: 60_000 });
    await waitUntil('up', () => source.health().state === 'up');
    mcu.defineBehaviour(stopHeartbeating);
    await waitUntil('silence', () => source.health().link.silences > 0);
  });

  it('reboot mid-stream: acknowledged reports are kept, the new boot is re-handshaken', async () => {
    const { mcu, source, readings } = await rig();
    await waitUntil('up', () => source.health().state === 'up');
    mcu.defineBehaviour(rebootAfterAcks(3));
    for (let i = 0; i < 5; i++) mcu.report(1, 100 + i);
    await waitUntil('3 acked then reboot', () => mcu.acked.length === 3 && mcu.bootId === 2);
    await waitUntil('re-handshaken', () => source.health().mcu?.bootId === 2 && source.health().state === 'up');
    mcu.report(1, 200);
    await waitUntil('new-boot report', () => readings.some((r) => r.value.raw === 200));
    const acked = mcu.acked.map((a) => `${a.bootId}:${a.seq}`);
    const got = readings.map((r) => `${r.value.bootId}:${r.value.seq}`);
    for (const a of acked) expect(got).toContain(a);
    expect(new Set(got).size).toBe(got.length);
    expect(source.health().link.reboots).toBe(1);
  });

  it('a vanished bare port is reported down and left to its supervisor (no private reopen loop)', async () => {
    const { pair, source } = await rig();
    await waitUntil('up', () => source.health().state === 'up');
    pair.host.vanish();
    expect(source.health().state).toBe('down');
    expect(source.health().errors['MCUB_LINK']).toBeGreaterThanOrEqual(1);
    // Reopening is ReconnectingLink's job (mcu-pty-reconnect.test.ts); the source never reopens.
    await new Promise((r) => setTimeout(r, 500));
    expect(pair.host.opens).toBe(1);
    expect(source.health().state).toBe('down');
  });

  it('line noise: corrupted bytes are counted, nothing acknowledged is lost or doubled', async () => {
    const { pair, mcu, source, readings } = await rig({ heartbeatMs: 50 }, { requestRetries: 6 });
    await waitUntil('up', () => source.health().state === 'up');
    let n = 0;
    const noisy = (b: Uint8Array): Uint8Array => {
      // Deterministic noise: every 7th chunk gets one bit flipped.
      if (++n % 7 === 0) b[Math.floor(b.length / 2)]! ^= 0x04;
      return b;
    };
    pair.mcu.tamper = noisy;
    pair.host.tamper = noisy;
    for (let i = 0; i < 40; i++) mcu.report(1, 1000 + i);
    await waitUntil('all 40 acked', () => mcu.acked.length === 40, 20_000);
    const values = readings.map((r) => r.value.raw);
    expect(values).toEqual(Array.from({ length: 40 }, (_, i) => 1000 + i));
    const h = source.health();
    expect(h.link.crcErrors + (h.errors['MCUB_FRAME_COBS'] ?? 0)).toBeGreaterThan(0);
    expect(h.discardedBytes).toBeGreaterThan(0);
  });

  it('a throwing consumer is counted, never crashes the source', async () => {
    const pair = createMemoryLinkPair();
    const mcu = new MockMcu(pair.mcu);
    await mcu.start();
    const source = new McuSource({ id: 'mcu:t', link: pair.host, requestTimeoutMs: 60 });
    cleanups.push(async () => {
      await source.stop();
      mcu.stop();
    });
    await source.start(() => {
      throw new Error('consumer bug');
    });
    await waitUntil('up', () => source.health().state === 'up');
    mcu.report(0, 1);
    await waitUntil('acked', () => mcu.acked.length === 1);
    expect(source.health().errors['MCUB_CONSUMER']).toBe(1);
  });
});

describe('McuSource: boot identity of reports', () => {
  it('a reply from a new boot to a retransmitted HELLO drops the stale session before any report is ACKed', async () => {
    const { mcu, source, readings } = await rig();
    await waitUntil('up', () => source.health().state === 'up');
    mcu.report(1, 7);
    await waitUntil('first boot report', () => readings.length === 1);
    // The MCU restarts and answers a HELLO the host is no longer waiting for, then reports
    // with seqs the old boot also used.
    mcu.reboot({ announce: false });
    mcu.session = true;
    mcu.send('HELLO_REPLY', { reSeq: 0xfff0, version: 1, fwMajor: 1, fwMinor: 0, fwPatch: 0, deviceId: mcu.deviceId, bootId: mcu.bootId, capabilities: 0x0f, heartbeatMs: 50, tickHz: 1000, channels: mcu.channels });
    mcu.report(1, 8);
    await waitUntil('re-handshaken with the new boot', () => source.health().mcu?.bootId === 2 && source.health().state === 'up');
    await waitUntil('new report', () => readings.length === 2);
    expect(readings[1]!.value).toMatchObject({ raw: 8, bootId: 2 });
    for (const a of mcu.acked) expect(readings.some((r) => r.value.bootId === a.bootId && r.value.seq === a.seq)).toBe(true);
    expect(source.health().errors['MCUB_REBOOTED']).toBeGreaterThanOrEqual(1);
  });
});
