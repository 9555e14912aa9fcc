import { encodeNmeaSentence } from '../../../drivers/nmea/checksum.ts';
import type { BackoffOptions } from '../../../core/backoff.ts';
import { MockLink } from '../../../drivers/serial/mock-link.ts';
import { ReconnectingLink } from '../../../drivers/serial/reconnecting-link.ts';
import type { Timers } from '../../../core/timers.ts';

/**
 * A ReconnectingLink over in-memory ports, as the agent wraps every serial source;
 * `ports` holds the one made at each open attempt, the first `absentOpens` of which fail (device not there).
 */
export function supervisedMock(path: string, o: { absentOpens?: number; backoff?: BackoffOptions; timers?: Timers } = {}): { link: ReconnectingLink; ports: MockLink[] } {
  const ports: MockLink[] = [];
  const link = new ReconnectingLink({
    path,
    resolvePath: (p) => Promise.resolve(p),
    createLink: (p) => {
      const port = new MockLink(p);
      if (ports.length < (o.absentOpens ?? 0)) port.failOpens(1);
      ports.push(port);
      return port;
    },
    ...(o.backoff ? { backoff: o.backoff } : {}),
    ...(o.timers ? { timers: o.timers } : {}),
  });
  return { link, ports };
}

/** Polls until `cond` holds; the test's own timeout bounds it, no timing is asserted. */
export async function waitFor(cond: () => boolean, what: string, limitMs = 30_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > limitMs) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

/**
 * One receiver epoch (RMC, GGA, GSA, GST, GSV) at `now`, a few metres north of Hamburg's Burchardkai
 * berth each step. Sentences are built from the NMEA 0183 layouts with our own checksum encoder.
 */
export function simulatedEpoch(step: number, now: Date): string {
  const hh = pad(now.getUTCHours(), 2);
  const mm = pad(now.getUTCMinutes(), 2);
  const ss = pad(now.getUTCSeconds(), 2);
  const cs = pad(Math.floor(now.getUTCMilliseconds() / 10), 2);
  const time = `${hh}${mm}${ss}.${cs}`;
  const date = `${pad(now.getUTCDate(), 2)}${pad(now.getUTCMonth() + 1, 2)}${pad(now.getUTCFullYear() % 100, 2)}`;
  const latMin = (31.5 + (step % 100) * 0.001).toFixed(5);
  const lat = `53${latMin.padStart(8, '0')}`;
  const lon = '00956.12345';
  return (
    encodeNmeaSentence(`GPRMC,${time},A,${lat},N,${lon},E,0.5,12.0,${date},,,A`) +
    encodeNmeaSentence(`GPGGA,${time},${lat},N,${lon},E,1,08,0.9,12.3,M,40.1,M,,`) +
    encodeNmeaSentence('GPGSA,A,3,01,02,03,04,05,06,07,08,,,,,1.5,0.9,1.2') +
    encodeNmeaSentence(`GPGST,${time},2.1,1.5,1.0,35.0,1.2,0.9,2.4`) +
    encodeNmeaSentence('GPGSV,2,1,08,01,40,083,46,02,17,308,41,03,07,344,39,04,59,123,45') +
    encodeNmeaSentence('GPGSV,2,2,08,05,33,210,44,06,21,045,40,07,62,271,47,08,12,150,38')
  );
}
