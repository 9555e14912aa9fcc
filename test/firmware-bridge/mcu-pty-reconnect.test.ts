/**
 * McuSource as the agent wires it: a ReconnectingLink over a real pty (socat) opened with
 * node-serialport, the mock MCU on the other end. Unplugging (socat killed: the pty vanishes)
 * and replugging (a new socat on the same paths) must be heard by the source through the
 * supervisor: the session dropped and reported down, then re-established by a new handshake on
 * a fresh receiver (half a frame that arrived before the unplug is discarded and counted, not
 * glued to the first bytes after the replug), and reports flow again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Reading } from '../../core/reading.ts';
import { SocatPtyPair } from '../../hil/pty.ts';
import { ReconnectingLink } from '../../drivers/serial/reconnecting-link.ts';
import { SerialPortLink } from '../../drivers/serial/serialport-link.ts';
import { McuSource, type McuReadingValue } from '../../firmware-bridge/host/mcu-source.ts';
import { MockMcu } from '../../firmware-bridge/mock/mock-mcu.ts';
import { waitUntil } from './wait-until.ts';

const BAUD = 115200;

describe('McuSource under ReconnectingLink on a pty', () => {
  let dir: string;
  let pair: SocatPtyPair;
  let mcu: MockMcu | undefined;
  let source: McuSource | undefined;

  // A USB MCU is powered by its cable: each plug is a new boot (its report seqs start again,
  // so the host must not take them for the previous boot's retransmissions).
  let boots = 0;
  async function plugMcu(): Promise<MockMcu> {
    boots++;
    const m = new MockMcu(new SerialPortLink({ path: pair.linkB, baudRate: BAUD }), { heartbeatMs: 50, bootId: boots });
    await m.start();
    return m;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pa-mcu-replug-'));
    pair = new SocatPtyPair(join(dir, 'mcu-host'), join(dir, 'mcu-device'));
    await pair.start();
  });

  afterAll(async () => {
    await source?.stop();
    mcu?.stop();
    await mcu?.link.close().catch(() => undefined);
    await pair?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hears the unplug, and after the replug re-handshakes on a reset receiver and reads again', async () => {
    mcu = await plugMcu();
    const link = new ReconnectingLink({
      path: pair.linkA,
      createLink: (p) => new SerialPortLink({ path: p, baudRate: BAUD }),
      backoff: { initialMs: 50, maxMs: 400 },
    });
    source = new McuSource({ id: 'mcu:replug', link, requestTimeoutMs: 200, timeSyncIntervalMs: 10_000, silenceFactor: 10 });
    const readings: Reading<McuReadingValue>[] = [];
    await source.start((r) => readings.push(r as Reading<McuReadingValue>));
    await waitUntil('first session', () => source!.health().state === 'up');
    mcu.report(0, 1234);
    await waitUntil('first reading', () => readings.length === 1);

    // The MCU goes quiet (no heartbeat to complete it) with half a frame on the wire (COBS
    // data, no 0x00 delimiter yet), then the cable goes.
    mcu.stop();
    await mcu.link.write(Uint8Array.of(0x05, 0x11, 0x22, 0x33));
    await new Promise((r) => setTimeout(r, 100));
    const before = source.health();
    await pair.kill();
    await waitUntil('the source reports the unplug', () => source!.health().state === 'down');
    expect(source.health().errors['MCUB_LINK']).toBeGreaterThanOrEqual(1);

    await pair.start();
    mcu = await plugMcu();
    await waitUntil('session re-established', () => source!.health().state === 'up' && source!.health().link.handshakes === 2, 20_000);
    const h = source.health();
    expect(h.link.reopens).toBe(1);
    // The receiver was reset on the reopen: the 4 bytes held from before the unplug are
    // discarded and counted as a truncated frame.
    expect((h.errors['MCUB_FRAME_TRUNCATED'] ?? 0) - (before.errors['MCUB_FRAME_TRUNCATED'] ?? 0)).toBe(1);
    expect(h.discardedBytes - before.discardedBytes).toBe(4);

    mcu.report(1, 5678);
    await waitUntil('a reading after the replug', () => readings.length === 2);
    expect(readings.map((r) => [r.value.channel, r.value.raw])).toEqual([[0, 1234], [1, 5678]]);
  }, 60_000);
});
