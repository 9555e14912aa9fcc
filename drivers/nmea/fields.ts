import { CodedError } from '../../core/coded-error.ts';

/**
 * Field parsers shared by the sentence decoders. Each returns `undefined` for an empty
 * (null) field, per NMEA 0183 §5.2.3 ("null fields"), and throws FieldError for a field that
 * is present but malformed; the sentence decoders turn that into NMEA_BAD_FIELD.
 */
export class FieldError extends CodedError<'NMEA_BAD_FIELD'> {
  readonly field: string;
  readonly value: string;
  constructor(field: string, value: string) {
    super('NMEA_BAD_FIELD', `bad ${field}: ${JSON.stringify(value)}`, { field, value });
    this.field = field;
    this.value = value;
  }
}

/**
 * Field-level isolation. A sentence decoder parses its key fields (the ones that place the
 * sentence in an epoch or define what it says: time, GGA quality, GSA fix mode, GSV numbering)
 * directly, so a malformed one rejects the sentence; every other field goes through `minor`,
 * which leaves a malformed field out and records it, and the rest of the sentence is kept.
 * gpsd keeps the rest of a sentence the same way (it parses field by field with atoi/atof).
 */
export class FieldIssues {
  readonly bad: FieldError[] = [];

  minor<T>(parse: () => T | undefined): T | undefined {
    try {
      return parse();
    } catch (e) {
      if (e instanceof FieldError) {
        this.bad.push(e);
        return undefined;
      }
      throw e;
    }
  }
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)$/;
const UNSIGNED_INT = /^\d+$/;

export function num(s: string | undefined, field: string): number | undefined {
  if (s === undefined || s === '') return undefined;
  if (!DECIMAL.test(s)) throw new FieldError(field, s);
  return Number(s);
}

export function int(s: string | undefined, field: string): number | undefined {
  if (s === undefined || s === '') return undefined;
  if (!UNSIGNED_INT.test(s) || s.length > 9) throw new FieldError(field, s);
  return Number(s);
}

export function numIn(s: string | undefined, field: string, min: number, max: number): number | undefined {
  const v = num(s, field);
  if (v !== undefined && (v < min || v > max)) throw new FieldError(field, s ?? '');
  return v;
}

/** One character from a fixed set (status A/V, hemisphere N/S, ...). */
export function oneOf<T extends string>(s: string | undefined, field: string, allowed: readonly T[]): T | undefined {
  if (s === undefined || s === '') return undefined;
  if (!(allowed as readonly string[]).includes(s)) throw new FieldError(field, s);
  return s as T;
}

/**
 * Latitude `llll.ll` (degrees and decimal minutes, §6.2 "Latitude") or longitude `yyyyy.yy`
 * with its hemisphere field; south and west are negative. Both fields empty means no position.
 */
export function coordinate(value: string | undefined, hemi: string | undefined, field: 'lat' | 'lon'): number | undefined {
  if ((value === undefined || value === '') && (hemi === undefined || hemi === '')) return undefined;
  if (value === undefined || value === '' || hemi === undefined || hemi === '') throw new FieldError(field, `${value ?? ''},${hemi ?? ''}`);
  const dot = value.indexOf('.');
  const intLen = dot < 0 ? value.length : dot;
  // Latitude has 2 degree digits, longitude 3; receivers sometimes drop leading zeros, so 1 to 3/4 digits of degrees are accepted.
  if (intLen < 3 || intLen > (field === 'lat' ? 4 : 5) || !/^\d+(?:\.\d*)?$/.test(value)) throw new FieldError(field, value);
  const deg = Number(value.slice(0, intLen - 2));
  const min = Number(value.slice(intLen - 2));
  if (min >= 60) throw new FieldError(field, value);
  let v = deg + min / 60;
  const limit = field === 'lat' ? 90 : 180;
  if (v > limit) throw new FieldError(field, value);
  if (field === 'lat') {
    if (hemi === 'S') v = -v;
    else if (hemi !== 'N') throw new FieldError('lat hemisphere', hemi);
  } else {
    if (hemi === 'W') v = -v;
    else if (hemi !== 'E') throw new FieldError('lon hemisphere', hemi);
  }
  return v;
}

/** UTC time `hhmmss.ss` (§6.2 "Time") as milliseconds since midnight; seconds may be 60 (leap second). */
export function timeOfDay(s: string | undefined): number | undefined {
  if (s === undefined || s === '') return undefined;
  if (!/^\d{6}(?:\.\d+)?$/.test(s)) throw new FieldError('time', s);
  const h = Number(s.slice(0, 2));
  const m = Number(s.slice(2, 4));
  const sec = Number(s.slice(4));
  if (h > 23 || m > 59 || sec >= 61) throw new FieldError('time', s);
  return Math.round((h * 3600 + m * 60) * 1000 + sec * 1000);
}

export interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

function validDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const dim = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= dim;
}

/**
 * RMC date `ddmmyy`. A two-digit year is read as 1980–2079 (GPS time starts in 1980); the
 * GNSS time check later corrects receivers that are a 1024-week rollover behind.
 */
export function dateDdmmyy(s: string | undefined): CalendarDate | undefined {
  if (s === undefined || s === '') return undefined;
  if (!/^\d{6}$/.test(s)) throw new FieldError('date', s);
  const day = Number(s.slice(0, 2));
  const month = Number(s.slice(2, 4));
  const yy = Number(s.slice(4, 6));
  const year = yy >= 80 ? 1900 + yy : 2000 + yy;
  if (!validDate(year, month, day)) throw new FieldError('date', s);
  return { year, month, day };
}

/** ZDA date from separate day, month, four-digit year fields. */
export function dateDmy(d: string | undefined, m: string | undefined, y: string | undefined): CalendarDate | undefined {
  if ((d ?? '') === '' && (m ?? '') === '' && (y ?? '') === '') return undefined;
  const day = int(d, 'day');
  const month = int(m, 'month');
  const year = int(y, 'year');
  if (day === undefined || month === undefined || year === undefined || year < 1980 || year > 9999 || !validDate(year, month, day)) {
    throw new FieldError('date', `${d ?? ''},${m ?? ''},${y ?? ''}`);
  }
  return { year, month, day };
}

/** Milliseconds since the Unix epoch of a calendar date plus a time of day. */
export function toEpochMs(date: CalendarDate, timeOfDayMs: number): number {
  return Date.UTC(date.year, date.month - 1, date.day) + timeOfDayMs;
}

/** Knots to metres per second: 1 international knot = 1852 m / 3600 s. */
export const KNOT_MPS = 1852 / 3600;

/** Sets an optional property only when defined, so results serialise without `undefined` noise. */
export function assign<T extends object, K extends keyof T>(o: T, k: K, v: T[K] | undefined): void {
  if (v !== undefined) o[k] = v;
}
