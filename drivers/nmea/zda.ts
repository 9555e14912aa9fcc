import type { NmeaEnvelope } from './envelope.ts';
import { assign, dateDmy, FieldError, int, timeOfDay, type CalendarDate, type FieldIssues } from './fields.ts';

/** ZDA, "Time and date" (NMEA 0183 v4.11 §8.3.98): UTC with a four-digit year. */
export interface ZdaSentence {
  sentence: 'ZDA';
  talker: string;
  timeOfDayMs?: number;
  date?: CalendarDate;
  /** Local zone offset in minutes (hours field × 60 + signed minutes field), when given. */
  localZoneMin?: number;
}

export const ZDA_MIN_FIELDS = 4;

export function decodeZda(e: NmeaEnvelope, m: FieldIssues): ZdaSentence {
  const f = e.fields;
  const out: ZdaSentence = { sentence: 'ZDA', talker: e.talker };
  assign(out, 'timeOfDayMs', timeOfDay(f[0]));
  assign(out, 'date', m.minor(() => dateDmy(f[1], f[2], f[3])));
  assign(out, 'localZoneMin', m.minor(() => localZone(f[4], f[5])));
  return out;
}

function localZone(zh: string | undefined, zmText: string | undefined): number | undefined {
  const zm = int(zmText, 'zone minutes');
  if (zh === undefined || zh === '') return undefined;
  if (!/^[+-]?\d{1,2}$/.test(zh) || Math.abs(Number(zh)) > 13) throw new FieldError('zone hours', zh);
  const h = Number(zh);
  return h * 60 + (h < 0 || zh.startsWith('-') ? -(zm ?? 0) : zm ?? 0);
}
