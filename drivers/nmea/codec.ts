import { parseEnvelope, type EnvelopeOptions, type NmeaEnvelope } from './envelope.ts';
import { NmeaError } from './errors.ts';
import { FieldError, FieldIssues } from './fields.ts';
import { decodeGga, GGA_MIN_FIELDS } from './gga.ts';
import { decodeGll, GLL_MIN_FIELDS } from './gll.ts';
import { decodeGns, GNS_MIN_FIELDS } from './gns.ts';
import { decodeGsa, GSA_MIN_FIELDS } from './gsa.ts';
import { decodeGst, GST_MIN_FIELDS } from './gst.ts';
import { decodeGsv, GSV_MIN_FIELDS } from './gsv.ts';
import { decodeRmc, RMC_MIN_FIELDS } from './rmc.ts';
import type { NmeaSentence } from './sentence.ts';
import { decodeVtg, VTG_MIN_FIELDS } from './vtg.ts';
import { decodeZda, ZDA_MIN_FIELDS } from './zda.ts';

/**
 * `fieldErrors` holds one NMEA_BAD_FIELD per malformed minor field that was left out of an
 * otherwise decoded sentence (empty when every field was good).
 */
export type NmeaDecodeResult = { ok: true; sentence: NmeaSentence; fieldErrors: NmeaError[] } | { ok: false; error: NmeaError };

type Decoder = { min: number; decode: (e: NmeaEnvelope, issues: FieldIssues) => NmeaSentence };

/** Decoders by formatter; any talker is accepted (GP, GN, GL, GA, GB, GQ, GI, BD, ...), the talker is reported. */
const DECODERS: Record<string, Decoder> = {
  GGA: { min: GGA_MIN_FIELDS, decode: decodeGga },
  RMC: { min: RMC_MIN_FIELDS, decode: decodeRmc },
  GSA: { min: GSA_MIN_FIELDS, decode: decodeGsa },
  GSV: { min: GSV_MIN_FIELDS, decode: decodeGsv },
  GST: { min: GST_MIN_FIELDS, decode: decodeGst },
  VTG: { min: VTG_MIN_FIELDS, decode: decodeVtg },
  ZDA: { min: ZDA_MIN_FIELDS, decode: decodeZda },
  GNS: { min: GNS_MIN_FIELDS, decode: decodeGns },
  GLL: { min: GLL_MIN_FIELDS, decode: decodeGll },
};

export const SUPPORTED_FORMATTERS: readonly string[] = Object.keys(DECODERS);

const textDecoder = new TextDecoder('latin1');

/**
 * Decodes one NMEA 0183 sentence (without CR LF). Pure: no I/O, no clock. Never throws for
 * any input; a rejected sentence comes back as a coded NmeaError.
 */
export function decodeNmeaSentence(line: string | Uint8Array, options: EnvelopeOptions = {}): NmeaDecodeResult {
  const text = typeof line === 'string' ? line : textDecoder.decode(line);
  const env = parseEnvelope(text, options);
  if (env instanceof NmeaError) return { ok: false, error: env };
  const raw = text.length > 120 ? `${text.slice(0, 120)}…` : text;
  if (env.start === '!') {
    return { ok: false, error: new NmeaError('NMEA_UNSUPPORTED', 'encapsulated (!) sentences belong to the AIS codec', { raw, formatter: env.formatter }) };
  }
  if (env.talker === 'P') {
    return { ok: false, error: new NmeaError('NMEA_UNSUPPORTED', 'proprietary sentence', { raw, formatter: env.formatter }) };
  }
  const d = DECODERS[env.formatter];
  if (d === undefined) {
    return { ok: false, error: new NmeaError('NMEA_UNSUPPORTED', `unsupported sentence ${env.formatter}`, { raw, talker: env.talker, formatter: env.formatter }) };
  }
  if (env.fields.length < d.min) {
    return { ok: false, error: new NmeaError('NMEA_TOO_FEW_FIELDS', `${env.formatter} needs ${d.min} fields, got ${env.fields.length}`, { raw }) };
  }
  const issues = new FieldIssues();
  try {
    const sentence = d.decode(env, issues);
    if (issues.bad.length === 0) return { ok: true, sentence, fieldErrors: [] };
    sentence.badFields = issues.bad.map((b) => b.field);
    const fieldErrors = issues.bad.map(
      (b) => new NmeaError('NMEA_BAD_FIELD', `${env.formatter}: ${b.message} (left out, rest of sentence kept)`, { raw, field: b.field, value: b.value }),
    );
    return { ok: true, sentence, fieldErrors };
  } catch (e) {
    if (e instanceof FieldError) {
      return { ok: false, error: new NmeaError('NMEA_BAD_FIELD', `${env.formatter}: ${e.message}`, { raw, field: e.field, value: e.value }) };
    }
    throw e;
  }
}
