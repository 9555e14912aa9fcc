/**
 * Checks on what the user typed, made before anything is signed or opened: each failure is
 * a USAGE error (exit 2) naming the flag, the value and what was expected.
 */
import { PlaceUrn } from '../config/schema.ts';

/** The configuration's own place URN rule (one regex for both). */
const PLACE_URN = new RegExp(PlaceUrn.pattern!);
import { CliCode, CliError } from './errors.ts';

const usage = (flag: string, value: string, expected: string): CliError =>
  new CliError(CliCode.USAGE, `--${flag} ${JSON.stringify(value)}: expected ${expected}`, { flag: `--${flag}`, value });

/** A concrete place URN (it becomes an MQTT topic level: no '/', '#', '+' or spaces). */
export function placeUrn(flag: string, value: string): string {
  if (!PLACE_URN.test(value)) throw usage(flag, value, "a place URN such as urn:place:DEHAM:berth:42 (no '/', '#', '+' or spaces)");
  return value;
}

/** A place URN, or a pattern ending in `*` (`urn:place:DEHAM:*`) as a credential scope holds. */
export function placePattern(flag: string, value: string): string {
  if (value.endsWith('*')) {
    if (!/^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:[^\s/#+*]*\*$/.test(value)) throw usage(flag, value, "a URN prefix ending in one * (urn:place:DEHAM:*), without '/', '#', '+' or spaces");
    return value;
  }
  return placeUrn(flag, value);
}

/** Any URN (an authority's or a device's name). */
export function urn(flag: string, value: string): string {
  if (!/^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:[^\s#/+]+$/.test(value)) throw usage(flag, value, 'a URN such as urn:place-agent:01… (no spaces)');
  return value;
}

/** A comma-separated list, each element checked. */
export function list(flag: string, value: string | undefined, each: (flag: string, v: string) => string): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(',').map((x) => x.trim());
  if (items.some((x) => x === '')) throw usage(flag, value, 'a comma-separated list without empty elements');
  return items.map((x) => each(flag, x));
}

/** A name that is used as one MQTT topic level (a reservation id). */
export function topicLevel(flag: string, value: string): string {
  if (!/^[^\s/#+]{1,128}$/.test(value)) throw usage(flag, value, "1 to 128 characters without '/', '#', '+' or spaces");
  return value;
}

/** A kind or unit-scheme token, or `*`. */
export function token(flag: string, value: string): string {
  if (value !== '*' && !/^[a-z][a-z0-9-]{0,31}$/.test(value)) throw usage(flag, value, 'lower-case letters, digits and - (or *)');
  return value;
}

/** A time as ms since the epoch or ISO 8601. */
export function time(flag: string, value: string | undefined): number {
  if (value === undefined) throw new CliError(CliCode.USAGE, `--${flag} is required`, { flag: `--${flag}` });
  if (/^\d+$/.test(value)) return Number(value);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw usage(flag, value, 'ms since the epoch or an ISO 8601 time');
  return t;
}

export function required<T>(value: T | undefined, flag: string, command: string): T {
  if (value === undefined) throw new CliError(CliCode.USAGE, `place-agent ${command} needs --${flag}; place-agent ${command} --help`, { flag: `--${flag}` });
  return value;
}

/** A unit pattern of a credential scope: `*`, a scheme (`mmsi`), or `scheme:id` with an optional trailing `*`. */
export function unitPattern(flag: string, value: string): string {
  if (value !== '*' && !/^[a-z][a-z0-9-]{0,31}(:[^\s,*]*\*?)?$/.test(value)) throw usage(flag, value, '*, a unit scheme such as mmsi, or scheme:id (a trailing * allowed)');
  return value;
}
