import type { AisBits } from '../bits.ts';
import { ATON_MONITORING_BITS, decodeAtonMonitoring, scaleAtonMonitoring } from './applications/aton-monitoring.ts';
import {
  decodeClearanceTime,
  decodeDangerousCargo,
  decodeTextDescription,
  decodeTidalWindowFi14,
  decodeTidalWindowFi32,
  scaleClearanceTime,
  scaleTidalWindow,
} from './applications/imo-addressed.ts';
import { decodeInlandPersonsOnBoard, decodeInlandStatic, INLAND_MESSAGE_BITS } from './applications/inland.ts';
import { decodeMetHydroFi11, decodeMetHydroFi31, scaleMetHydroFi11, scaleMetHydroFi31 } from './applications/met-hydro.ts';
import type { AisFields } from './types.ts';

/**
 * Messages 6 and 8 carry application data after a 16-bit application identifier (DAC, the
 * designated area code, 10 bits; FI, the function identifier, 6 bits; ITU-R M.1371-5 Annex 5
 * §2.1). A message is at most 5 slots, 1008 bits (ITU-R M.1371-5, Message 6 and Message 8).
 */
export const ADDRESSED_BINARY_MIN_BITS = 88;
export const BROADCAST_BINARY_MIN_BITS = 56;
export const BINARY_MESSAGE_MAX_BITS = 1008;

interface Application {
  /** The only length at which the payload is decoded (gpsd 3.22 checks these); any other gives raw data. */
  exactBits?: number;
  decode: (b: AisBits, start: number) => AisFields;
  /** Raw fields to gpsd's scaled units (`gpsdecode -j`); absent where raw and scaled are the same. */
  scale?: (fields: AisFields) => AisFields;
}

/**
 * Application payloads decoded, by message type, DAC and FI: those in gpsd 3.22's test logs.
 * Any other (DAC, FI), or a listed one at another length, is given as `data` (raw bits), so
 * nothing of the message is lost.
 */
const APPLICATIONS: ReadonlyMap<string, Application> = new Map<string, Application>([
  ['6/1/12', { decode: decodeDangerousCargo }],
  ['6/1/14', { decode: decodeTidalWindowFi14, scale: scaleTidalWindow }],
  ['6/1/18', { decode: decodeClearanceTime, scale: scaleClearanceTime }],
  ['6/1/30', { decode: decodeTextDescription }],
  ['6/1/32', { decode: decodeTidalWindowFi32, scale: scaleTidalWindow }],
  ['6/200/55', { exactBits: INLAND_MESSAGE_BITS, decode: decodeInlandPersonsOnBoard }],
  ['6/235/10', { exactBits: ATON_MONITORING_BITS, decode: decodeAtonMonitoring, scale: scaleAtonMonitoring }],
  ['6/250/10', { exactBits: ATON_MONITORING_BITS, decode: decodeAtonMonitoring, scale: scaleAtonMonitoring }],
  ['8/1/11', { decode: decodeMetHydroFi11, scale: scaleMetHydroFi11 }],
  ['8/1/31', { decode: decodeMetHydroFi31, scale: scaleMetHydroFi31 }],
  ['8/200/10', { exactBits: INLAND_MESSAGE_BITS, decode: decodeInlandStatic }],
]);

/** A decoded type 6 or 8 message's application fields in scaled units; raw data stays as it is. */
export function scaleBinaryApplication(type: number, fields: AisFields): AisFields {
  if (fields.data !== undefined) return fields;
  const scale = APPLICATIONS.get(`${type}/${String(fields.dac)}/${String(fields.fid)}`)?.scale;
  return scale ? scale(fields) : fields;
}

/**
 * Type 6, addressed binary message (ITU-R M.1371-5, Message 6): sequence number, destination
 * MMSI, retransmit flag, then the application identifier at bit 72 and its data at bit 88.
 */
export function decodeAddressedBinary(b: AisBits): AisFields {
  const header: AisFields = { seqno: b.u(38, 2), dest_mmsi: b.u(40, 30), retransmit: b.flag(70) };
  return Object.assign(header, application(b, 6, 72));
}

/** Type 8, binary broadcast message (ITU-R M.1371-5, Message 8): the application identifier at bit 40, its data at bit 56. */
export function decodeBroadcastBinary(b: AisBits): AisFields {
  return application(b, 8, 40);
}

function application(b: AisBits, type: 6 | 8, at: number): AisFields {
  const dac = b.u(at, 10);
  const fid = b.u(at + 10, 6);
  const start = at + 16;
  const app = APPLICATIONS.get(`${type}/${dac}/${fid}`);
  const fields: AisFields = { dac, fid };
  if (app === undefined || (app.exactBits !== undefined && b.length !== app.exactBits)) fields.data = b.rawData(start);
  else Object.assign(fields, app.decode(b, start));
  return fields;
}
