import { AisBits } from './bits.ts';
import { AisError, AisErrorCode } from './errors.ts';
import { AID_TO_NAVIGATION_MIN_BITS, decodeAidToNavigation } from './messages/aid-to-navigation.ts';
import { BASE_STATION_MIN_BITS, decodeBaseStation } from './messages/base-station.ts';
import {
  ADDRESSED_BINARY_MIN_BITS,
  BINARY_MESSAGE_MAX_BITS,
  BROADCAST_BINARY_MIN_BITS,
  decodeAddressedBinary,
  decodeBroadcastBinary,
} from './messages/binary-message.ts';
import { decodeGnssBroadcast, GNSS_BROADCAST_MAX_BITS, GNSS_BROADCAST_MIN_BITS } from './messages/gnss-broadcast.ts';
import { CHANNEL_MANAGEMENT_MIN_BITS, decodeChannelManagement } from './messages/channel-management.ts';
import { decodeGroupAssignment, GROUP_ASSIGNMENT_MIN_BITS } from './messages/group-assignment.ts';
import {
  ASSIGNED_MODE_MAX_BITS,
  ASSIGNED_MODE_MIN_BITS,
  decodeAssignedMode,
  decodeInterrogation,
  INTERROGATION_MAX_BITS,
  INTERROGATION_MIN_BITS,
} from './messages/interrogation.ts';
import {
  ADDRESSED_SAFETY_MIN_BITS,
  BROADCAST_SAFETY_MIN_BITS,
  decodeAddressedSafety,
  decodeBroadcastSafety,
  decodeUtcInquiry,
  SAFETY_MESSAGE_MAX_BITS,
  UTC_INQUIRY_MIN_BITS,
} from './messages/safety-text.ts';
import { decodeSarAircraft, SAR_AIRCRAFT_MIN_BITS } from './messages/sar-aircraft.ts';
import { decodeSlotBinary, MULTIPLE_SLOT_BINARY_MAX_BITS, SINGLE_SLOT_BINARY_MAX_BITS } from './messages/slot-binary.ts';
import { ACKNOWLEDGE_MIN_BITS, DATA_LINK_MANAGEMENT_MIN_BITS, decodeAcknowledge, decodeDataLinkManagement } from './messages/link-management.ts';
import { decodeLongRange, LONG_RANGE_MIN_BITS } from './messages/long-range.ts';
import { decodePositionReportA, POSITION_REPORT_A_MIN_BITS } from './messages/position-report-a.ts';
import {
  decodeExtendedPositionReportB,
  decodePositionReportB,
  EXTENDED_POSITION_REPORT_B_MIN_BITS,
  POSITION_REPORT_B_MIN_BITS,
} from './messages/position-report-b.ts';
import { decodeStaticPartA, decodeStaticPartB, STATIC_PART_A_MIN_BITS, STATIC_PART_B_MIN_BITS } from './messages/static-data-report.ts';
import { decodeStaticVoyage, STATIC_VOYAGE_MIN_BITS } from './messages/static-voyage.ts';
import type { AisFields, AisMessage } from './messages/types.ts';
import { scaleAisFields } from './scale.ts';

/** A message type's length bounds in bits and its decoder (ITU-R M.1371-5, the message's own module). */
interface Layout {
  min: number;
  max?: number;
  decode: (b: AisBits, mmsi: number) => AisFields;
}

const positionA: Layout = { min: POSITION_REPORT_A_MIN_BITS, decode: decodePositionReportA };
const baseStation: Layout = { min: BASE_STATION_MIN_BITS, decode: decodeBaseStation };
const acknowledge: Layout = { min: ACKNOWLEDGE_MIN_BITS, decode: decodeAcknowledge };

const LAYOUTS: Readonly<Record<number, Layout>> = {
  1: positionA,
  2: positionA,
  3: positionA,
  4: baseStation,
  5: { min: STATIC_VOYAGE_MIN_BITS, decode: decodeStaticVoyage },
  6: { min: ADDRESSED_BINARY_MIN_BITS, max: BINARY_MESSAGE_MAX_BITS, decode: decodeAddressedBinary },
  7: acknowledge,
  8: { min: BROADCAST_BINARY_MIN_BITS, max: BINARY_MESSAGE_MAX_BITS, decode: decodeBroadcastBinary },
  9: { min: SAR_AIRCRAFT_MIN_BITS, decode: decodeSarAircraft },
  10: { min: UTC_INQUIRY_MIN_BITS, decode: decodeUtcInquiry },
  11: baseStation,
  12: { min: ADDRESSED_SAFETY_MIN_BITS, max: SAFETY_MESSAGE_MAX_BITS, decode: decodeAddressedSafety },
  13: acknowledge,
  14: { min: BROADCAST_SAFETY_MIN_BITS, max: SAFETY_MESSAGE_MAX_BITS, decode: decodeBroadcastSafety },
  15: { min: INTERROGATION_MIN_BITS, max: INTERROGATION_MAX_BITS, decode: decodeInterrogation },
  16: { min: ASSIGNED_MODE_MIN_BITS, max: ASSIGNED_MODE_MAX_BITS, decode: decodeAssignedMode },
  17: { min: GNSS_BROADCAST_MIN_BITS, max: GNSS_BROADCAST_MAX_BITS, decode: decodeGnssBroadcast },
  18: { min: POSITION_REPORT_B_MIN_BITS, decode: decodePositionReportB },
  19: { min: EXTENDED_POSITION_REPORT_B_MIN_BITS, decode: decodeExtendedPositionReportB },
  20: { min: DATA_LINK_MANAGEMENT_MIN_BITS, decode: decodeDataLinkManagement },
  21: { min: AID_TO_NAVIGATION_MIN_BITS, decode: decodeAidToNavigation },
  22: { min: CHANNEL_MANAGEMENT_MIN_BITS, decode: decodeChannelManagement },
  23: { min: GROUP_ASSIGNMENT_MIN_BITS, decode: decodeGroupAssignment },
  24: { min: 40, decode: decodeStaticData },
  25: { min: 0, max: SINGLE_SLOT_BINARY_MAX_BITS, decode: (b) => decodeSlotBinary(b, 25) },
  26: { min: 0, max: MULTIPLE_SLOT_BINARY_MAX_BITS, decode: (b) => decodeSlotBinary(b, 26) },
  27: { min: LONG_RANGE_MIN_BITS, decode: decodeLongRange },
};

/** Type 24 is two messages: part A (the name) or part B (the rest), told apart by bits 38-39. */
function decodeStaticData(b: AisBits, mmsi: number): AisFields {
  const part = b.u(38, 2);
  // Parts C and D (2, 3) are not defined by ITU-R M.1371-5 Table 72.
  if (part === 0) {
    need(b, 24, STATIC_PART_A_MIN_BITS);
    return decodeStaticPartA(b);
  }
  if (part === 1) {
    need(b, 24, STATIC_PART_B_MIN_BITS);
    return decodeStaticPartB(b, mmsi);
  }
  throw new AisError(AisErrorCode.UnsupportedType, `type 24 part ${part} is not defined`, { type: 24, part });
}

export const SUPPORTED_AIS_TYPES: readonly number[] = Object.keys(LAYOUTS).map(Number);

export interface AisPayloadOptions {
  /** gpsd `-j` (scaled, default) or `-u -j` (raw integers). */
  scaled?: boolean;
}

/**
 * Decodes one complete, de-armoured AIS message (all fragments joined). Throws AisError
 * (AIS_UNSUPPORTED_TYPE with the type number, AIS_TOO_SHORT, AIS_TOO_LONG, AIS_BAD_ARMOUR).
 */
export function decodeAisPayload(payload: string, fillBits: number, options: AisPayloadOptions = {}): AisMessage {
  const b = AisBits.fromPayload(payload, fillBits);
  if (b.length < 38) throw new AisError(AisErrorCode.TooShort, `message of ${b.length} bits has no header`, { bits: b.length });
  const type = b.u(0, 6);
  const repeat = b.u(6, 2);
  const mmsi = b.u(8, 30);
  const layout = LAYOUTS[type];
  if (!layout) throw new AisError(AisErrorCode.UnsupportedType, `AIS message type ${type} is not supported`, { type, mmsi });
  need(b, type, layout.min, layout.max);
  const fields = layout.decode(b, mmsi);
  const scaled = options.scaled ?? true;
  // One literal, not Object.assign onto the header: copying 40-odd fields property by property
  // turned the message into a slow dictionary object (tens of µs for the meteorological ones).
  return { class: 'AIS', type, repeat, mmsi, scaled, ...(scaled ? scaleAisFields(type, fields) : fields) };
}

function need(b: AisBits, type: number, min: number, max = Infinity): void {
  if (b.length < min) throw new AisError(AisErrorCode.TooShort, `type ${type} needs ${min} bits, got ${b.length}`, { type, bits: b.length, min });
  if (b.length > max) throw new AisError(AisErrorCode.TooLong, `type ${type} has at most ${max} bits, got ${b.length}`, { type, bits: b.length, max });
}
