import type { NmeaEnvelope } from './envelope.ts';
import { FieldError, int, type FieldIssues } from './fields.ts';

/** GSV, "GNSS satellites in view" (NMEA 0183 v4.11 §8.3.47): up to four satellites per sentence. */
export interface GsvSentence {
  sentence: 'GSV';
  talker: string;
  totalSentences: number;
  sentenceNumber: number;
  satellitesInView?: number;
  satellites: GsvSatellite[];
  /** NMEA 4.11 signal id, present when the field count leaves one over after the satellite blocks. */
  signalId?: number;
}

export interface GsvSatellite {
  id: number;
  elevationDeg?: number;
  azimuthDeg?: number;
  /** C/N0 in dB-Hz; absent when not tracking. */
  snrDbHz?: number;
}

export const GSV_MIN_FIELDS = 3;

export function decodeGsv(e: NmeaEnvelope, m: FieldIssues): GsvSentence {
  const f = e.fields;
  const totalSentences = int(f[0], 'total sentences');
  const sentenceNumber = int(f[1], 'sentence number');
  if (totalSentences === undefined || sentenceNumber === undefined || sentenceNumber < 1 || sentenceNumber > totalSentences || totalSentences > 99) {
    throw new FieldError('sentence number', `${f[0] ?? ''},${f[1] ?? ''}`);
  }
  const rest = f.length - 3;
  const blocks = Math.floor(rest / 4);
  if (blocks > 4) throw new FieldError('satellite blocks', String(blocks));
  const satellites: GsvSatellite[] = [];
  for (let b = 0; b < blocks; b++) {
    // One malformed satellite block is left out; the other satellites of the sentence stay.
    const sat = m.minor(() => satellite(f, 3 + b * 4));
    if (sat !== undefined) satellites.push(sat);
  }
  const out: GsvSentence = { sentence: 'GSV', talker: e.talker, totalSentences, sentenceNumber, satellites };
  const inView = m.minor(() => int(f[2], 'satellites in view'));
  if (inView !== undefined) out.satellitesInView = inView;
  if (rest % 4 === 1) {
    const sig = m.minor(() => int(f[f.length - 1], 'signal id'));
    if (sig !== undefined) out.signalId = sig;
  }
  return out;
}

function satellite(f: string[], i: number): GsvSatellite | undefined {
  const id = int(f[i], 'satellite id');
  if (id === undefined) return undefined;
  const sat: GsvSatellite = { id };
  const el = int(f[i + 1]?.replace(/^-/, ''), 'elevation');
  if (el !== undefined) sat.elevationDeg = f[i + 1]!.startsWith('-') ? -el : el;
  const az = int(f[i + 2], 'azimuth');
  if (az !== undefined) sat.azimuthDeg = az;
  const snr = int(f[i + 3], 'snr');
  if (snr !== undefined) sat.snrDbHz = snr;
  if ((sat.elevationDeg ?? 0) > 90 || (sat.elevationDeg ?? 0) < -90 || (sat.azimuthDeg ?? 0) > 360 || (sat.snrDbHz ?? 0) > 99) {
    throw new FieldError('satellite', f.slice(i, i + 4).join(','));
  }
  return sat;
}
