/**
 * Presence budgets across a restart: a configured berth gateway (the real binary, an AIS
 * receiver through a socat pty, mosquitto) with a place budget of 3 and a unit budget of 1 per
 * window hears vessels with no grant, is stopped half-way through its budget and started again.
 * The second run takes up the window where the first left it: a vessel refused before is not
 * refused again (its unit budget is spent: one suspension), the place budget runs out on the
 * third refusal of the window, not the third of the run, and after its suspension nothing more
 * about units is signed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlaceRig } from '../../hil/place-rig.ts';
import type { SocatPtyPair } from '../../hil/pty.ts';
import { closePort, openDevicePort, writeTo } from '../../hil/device-port.ts';
import { waitFor } from './agent-process.ts';
import { signedObservations, unitObservations } from '../support/place-gateway.ts';
import { positionA } from '../drivers/ais/ais-encoder.ts';

const PLACE = 'urn:place:TEST:berth:9';
const ANCHOR = { lat: 53.5461, lon: 9.9665 };
const [A, B, C, D, E] = [211000001, 211000002, 211000003, 211000004, 211000005];

/** A type 1 report, accuracy flag 1, `northM` metres north of the anchor (ITU-R M.1371-5: 1/10000 min). */
const aisAt = (mmsi: number, northM: number): string =>
  positionA({ mmsi, lat: Math.round((ANCHOR.lat + northM / 111_195) * 600_000), lon: Math.round(ANCHOR.lon * 600_000), accuracy: true, status: 5 }) + '\r\n';

describe('presence budgets survive a restart', () => {
  let rig: PlaceRig;
  let pty: SocatPtyPair;

  beforeAll(async () => {
    rig = await PlaceRig.start('budget', PLACE);
    pty = await rig.pty('ais', { start: false });
  }, 60_000);

  afterAll(() => rig?.close());

  /** Starts the pty and the agent; each vessel then reports three times, 1.1 s apart (two reports make an AIS-only track credible here). */
  async function run(cfg: string, db: string, vessels: number[], expected: string[]): Promise<void> {
    const starts = () => signedObservations(db).filter((o) => o.kind === 'status' && o.body.event === 'started').length;
    const before = starts();
    await pty.start();
    rig.run(cfg);
    const ais = await openDevicePort(pty.linkB, 38400);
    const write = (s: string) => writeTo(ais, s);
    await waitFor(() => starts() > before, 30_000, 'the agent started');
    await new Promise((r) => setTimeout(r, 1000)); // the AIS port opened by the agent
    for (let round = 0; round < 3; round++) {
      for (const [i, m] of vessels.entries()) await write(aisAt(m, 20 + 5 * i));
      await new Promise((r) => setTimeout(r, 1100));
    }
    await waitFor(() => unitObservations(signedObservations(db)).length >= expected.length, 30_000, `${expected.length} observations about units`);
    await new Promise((r) => setTimeout(r, 2000)); // anything more that would be signed
    const stopped = await rig.stop();
    expect(stopped.code, stopped.stderr).toBe(0);
    await closePort(ais);
    await pty.kill();
    expect(unitObservations(signedObservations(db))).toEqual(expected);
  }

  it('takes up the window where the last run left it', async () => {
    await rig.provision('urn:place-authority:port');
    const cfg = await rig.configure('berth.yaml', {
      envelope: { placeType: 'berth', dims: { length_m: { value: 320 } } },
      presence: {
        holdSeconds: 30,
        anchor: ANCHOR,
        // A 30-day window: the test never straddles two.
        budgets: { windowSeconds: 2592000, perPlace: 3, perUnit: 1, perGrant: 8 },
      },
      sources: [{ id: 'ais', type: 'ais-serial', port: pty.linkA, baudRate: 38400 }],
    });
    const db = rig.db;
    const refused = (m: number) => `reservation:no-grant:mmsi:${m}`;

    // First run: two vessels without a grant, two refusals; the place budget has one left.
    await run(cfg, db, [A, B], [refused(A), refused(B)]);
    // Second run: A's unit budget is spent (one suspension, no refusal), C takes the place's last
    // draw, D finds the place budget spent (one suspension), E gets nothing.
    await run(cfg, db, [A, C, D, E], [refused(A), refused(B), `suspension:unit budget exhausted:mmsi:${A}`, refused(C), 'suspension:place budget exhausted:']);

    const place = signedObservations(db).find((o) => o.kind === 'suspension' && o.body.scope === 'place')!;
    expect(place.body).toMatchObject({ scope: 'place', key: 'place', budget: 3 });
  }, 240_000);
});
