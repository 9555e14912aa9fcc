/**
 * The TypeScript host against the C firmware's host build (pm-sim) over real socat ptys.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reading } from '../../core/reading.ts';
import { SerialPortLink } from '../../drivers/serial/serialport-link.ts';
import type { PtyRig } from '../../firmware-bridge/host-sim/pty-rig.ts';
import { startPtyRig } from '../../firmware-bridge/host-sim/pty-rig.ts';
import { McuSource } from '../../firmware-bridge/host/mcu-source.ts';
import type { McuReadingValue } from '../../firmware-bridge/host/mcu-source.ts';
import { ConfigKey } from '../../firmware-bridge/host/message.ts';
import { tickToHost } from '../../firmware-bridge/host/time-sync.ts';
import { waitUntil } from './wait-until.ts';

type McuReading = Reading<McuReadingValue>;

/** Every report the firmware saw ACKed (its --ack-log) must be among the readings, exactly once. */
function checkNoAckedReportLost(ackLog: string, readings: McuReading[]): number {
  const lines = existsSync(ackLog) ? readFileSync(ackLog, 'utf8').trim().split('\n').filter(Boolean) : [];
  const got = new Map<string, number>();
  for (const r of readings) {
    const k = `${r.value.bootId}:${r.value.seq}`;
    got.set(k, (got.get(k) ?? 0) + 1);
  }
  for (const [k, n] of got) expect(n, `reading ${k} emitted ${n} times`).toBe(1);
  for (const line of lines) {
    const [boot, seq, channel, value] = line.split(' ');
    const k = `${boot}:${seq}`;
    expect(got.has(k), `acknowledged report ${k} (channel ${channel} value ${value}) missing`).toBe(true);
  }
  return lines.length;
}

describe('host ↔ C firmware over a pty', () => {
  let rig: PtyRig;
  let source: McuSource;
  const readings: McuReading[] = [];

  beforeAll(async () => {
    rig = await startPtyRig({ firmware: { deviceId: 0x4242, heartbeatMs: 200, reportMs: 50 } });
    source = new McuSource({ id: 'mcu:pty', link: new SerialPortLink({ path: rig.hostPath, baudRate: 115200 }), timeSyncIntervalMs: 500, silenceFactor: 5, requestTimeoutMs: 500 });
    await source.start((r) => readings.push(r as McuReading));
  });
  afterAll(async () => {
    await source?.stop();
    await rig?.close();
  });

  it('handshakes and learns the device, its boot and its channels', async () => {
    await waitUntil('up', () => source.health().state === 'up');
    const h = source.health();
    expect(h.mcu).toMatchObject({ deviceId: 0x4242, bootId: rig.firmware.boots[0]!.bootId, firmware: '1.0.0', protocolVersion: 1, tickHz: 1000, heartbeatMs: 200 });
    expect(h.mcu!.channels).toEqual([
      { id: 0, modality: 1, unit: 1 },
      { id: 1, modality: 2, unit: 2 },
      { id: 2, modality: 0, unit: 3 },
    ]);
  });

  it('streams sensor reports as Readings with the declared modality, unit and status', async () => {
    await waitUntil('60 readings', () => readings.length >= 60);
    const byChannel = (c: number) => readings.filter((r) => r.value.channel === c);
    expect(byChannel(0)[0]).toMatchObject({ source: 'mcu:pty', modality: 'door', value: { unit: 'bool' }, quality: { ok: true, status: 'ok' } });
    expect(byChannel(1)[0]).toMatchObject({ modality: 'range', value: { unit: 'mm' } });
    expect(byChannel(2)[0]).toMatchObject({ modality: 'mcu', value: { unit: 'degC', exponent: -2 } });
    // The simulated range sensor ramps by 1 mm per sample: never repeated or reordered, and
    // any gap is a report the MCU itself dropped from its full queue and says so (HEARTBEAT).
    // (Per boot: a starved test machine may trip the watchdog, whose RESET restarts the ramp.)
    const boots = new Set(readings.map((r) => r.value.bootId));
    const lastBoot = [...boots].at(-1)!;
    for (const boot of boots) {
      const ramp = byChannel(1).filter((r) => r.value.bootId === boot).map((r) => r.value.raw);
      let missing = 0;
      for (let i = 1; i < ramp.length; i++) {
        expect(ramp[i]).toBeGreaterThan(ramp[i - 1]!);
        missing += ramp[i]! - ramp[i - 1]! - 1;
      }
      if (missing > 0 && boot === lastBoot) await waitUntil('MCU reports its drops', () => (source.health().mcu?.dropped ?? 0) >= missing);
    }
    expect(byChannel(2)[0]!.value.value).toBeCloseTo(byChannel(2)[0]!.value.raw / 100, 10);
  });

  it('CONFIG_SET round trip: the MCU applies it and CONFIG_GET reads it back; a bad value is refused', async () => {
    await waitUntil('up', () => source.health().state === 'up');
    await source.configSet(ConfigKey.REPORT_MS, 40);
    expect(await source.configGet(ConfigKey.REPORT_MS)).toBe(40);
    await expect(source.configSet(ConfigKey.HEARTBEAT_MS, 1)).rejects.toMatchObject({ code: 'MCUB_NAK', details: { reason: 4 } });
    await expect(source.configGet(99)).rejects.toMatchObject({ code: 'MCUB_NAK', details: { reason: 3 } });
    expect(await source.configGet(ConfigKey.HEARTBEAT_MS)).toBe(200);
  });

  it('TIME_SYNC: every reading time lies within its stated uncertainty of the true tick time', async () => {
    await waitUntil('up', () => source.health().state === 'up');
    const mapping = await source.timeSync();
    const boot = rig.firmware.bootById(source.health().mcu!.bootId)!;
    // The firmware printed the wall-clock time of tick 0, so the truth for tick T is tick0 + T ms.
    // The truth itself is known to within tick0ErrMs (the firmware brackets its clock reads).
    const anchorErr = Math.abs(tickToHost(mapping, mapping.tick).t - (boot.tick0UnixMs + mapping.tick));
    expect(mapping.uncertaintyMs).toBe(mapping.rttMs / 2 + 1 + 1);
    expect(anchorErr).toBeLessThanOrEqual(mapping.uncertaintyMs + boot.tick0ErrMs);
    const n = readings.length;
    await waitUntil('30 more readings', () => readings.length >= n + 30);
    for (const r of readings) {
      const b = rig.firmware.bootById(r.value.bootId)!;
      const truth = b.tick0UnixMs + r.value.tick;
      expect(r.quality.timeUncertaintyMs).toBeGreaterThan(0);
      expect(Math.abs(r.t - truth), `reading seq ${r.value.seq} tick ${r.value.tick}`).toBeLessThanOrEqual(r.quality.timeUncertaintyMs! + b.tick0ErrMs);
    }
    // Stated bound is useful, not vacuous: a pty round trip is a few ms.
    expect(source.health().timeSync!.uncertaintyMs).toBeLessThan(50);
  });
});

describe('faults on the link (relay between two pty pairs)', () => {
  let rig: PtyRig;
  let source: McuSource;
  let ackLog: string;
  const readings: McuReading[] = [];

  beforeAll(async () => {
    rig = await startPtyRig({ relay: true, seed: 20261122, firmware: { heartbeatMs: 100, reportMs: 50 } });
    ackLog = join(rig.dir, 'acked.log');
    await rig.restartFirmware({ heartbeatMs: 100, reportMs: 50, ackLog });
    source = new McuSource({ id: 'mcu:faulty', link: new SerialPortLink({ path: rig.hostPath, baudRate: 115200 }), timeSyncIntervalMs: 500, requestRetries: 5 });
    await source.start((r) => readings.push(r as McuReading));
    await waitUntil('up', () => source.health().state === 'up');
  });
  afterAll(async () => {
    await source?.stop();
    await rig?.close();
  });

  it('line noise, dropped and duplicated bytes: counted, resynchronised, nothing acknowledged lost or doubled', async () => {
    const relay = rig.relay!;
    for (const mode of ['noise', 'drop', 'duplicate'] as const) {
      const before = readings.length;
      relay.set(mode, 0.003);
      try {
        await waitUntil(`readings flow under ${mode}`, () => readings.length >= before + 60, 15_000);
      } finally {
        relay.set('pass');
      }
    }
    expect(relay.stats.flipped).toBeGreaterThan(0);
    expect(relay.stats.dropped).toBeGreaterThan(0);
    expect(relay.stats.duplicated).toBeGreaterThan(0);
    const h = source.health();
    expect(h.link.crcErrors + (h.errors['MCUB_FRAME_COBS'] ?? 0) + (h.errors['MCUB_FRAME_SHORT'] ?? 0)).toBeGreaterThan(0);
    expect(h.discardedBytes).toBeGreaterThan(0);
    const before = readings.length;
    await waitUntil('clean line again', () => readings.length >= before + 20 && source.health().state === 'up');
    expect(checkNoAckedReportLost(ackLog, readings)).toBeGreaterThan(150);
  });

  it('baud mismatch: reported as a garbled line, recovers by itself once fixed', async () => {
    const garbledBefore = source.health().errors['MCUB_GARBLED'] ?? 0;
    rig.relay!.set('garble');
    try {
      await waitUntil('garbled reported', () => (source.health().errors['MCUB_GARBLED'] ?? 0) > garbledBefore, 10_000);
      await waitUntil('not up', () => source.health().state !== 'up');
      expect(source.health().detail).toMatch(/baud/);
    } finally {
      rig.relay!.set('pass');
    }
    const before = readings.length;
    await waitUntil('recovered', () => source.health().state === 'up' && readings.length > before + 10, 10_000);
    checkNoAckedReportLost(ackLog, readings);
  });

  it('MCU process killed and restarted mid-stream: host notices, re-handshakes the new boot, keeps every acknowledged report', async () => {
    const bootsBefore = source.health().link.reboots;
    const oldBoot = source.health().mcu!.bootId;
    await rig.restartFirmware({ heartbeatMs: 100, reportMs: 50, ackLog });
    const newBoot = rig.firmware.boots[0]!.bootId;
    expect(newBoot).not.toBe(oldBoot);
    // (A RESET from a watchdog on a starved machine would re-execute it: any boot of the new process counts.)
    const ofNewProcess = (id: number | undefined): boolean => rig.firmware.boots.some((b) => b.bootId === id);
    await waitUntil('new boot up', () => source.health().state === 'up' && ofNewProcess(source.health().mcu?.bootId), 10_000);
    await waitUntil('new boot readings', () => readings.filter((r) => ofNewProcess(r.value.bootId)).length >= 20);
    const h = source.health();
    expect(h.link.reboots).toBeGreaterThanOrEqual(bootsBefore + 1);
    expect(h.errors['MCUB_REBOOTED']).toBeGreaterThanOrEqual(1);
    checkNoAckedReportLost(ackLog, readings);
  });

  it('a firmware that goes silent is reset by the watchdog (RESET re-executes it) and comes back', async () => {
    await rig.restartFirmware({ heartbeatMs: 100, reportMs: 50, ackLog, silentAfterMs: 300 });
    const fw = rig.firmware;
    const silencesBefore = source.health().link.silences;
    await waitUntil('silence detected', () => source.health().link.silences > silencesBefore, 10_000);
    // RESET makes pm-sim exec itself without the fault flag: a second boot on the same process.
    await waitUntil('reset reboot', () => fw.boots.length >= 2, 10_000);
    const first = fw.boots[0]!.bootId;
    await waitUntil('up on a reset boot', () => source.health().state === 'up' && fw.boots.slice(1).some((b) => b.bootId === source.health().mcu?.bootId), 10_000);
    expect(source.health().mcu!.bootId).not.toBe(first);
    expect(source.health().errors['MCUB_SILENT']).toBeGreaterThanOrEqual(1);
    expect(source.health().link.resets).toBeGreaterThanOrEqual(1);
    const before = readings.length;
    await waitUntil('readings again', () => readings.length > before + 10);
    checkNoAckedReportLost(ackLog, readings);
  });
});
