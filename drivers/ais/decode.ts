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

export const SUPPORTED_AIS_TYPES: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27];

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
  let fields: AisFields;
  switch (type) {
    case 1:
    case 2:
    case 3:
      need(b, type, POSITION_REPORT_A_MIN_BITS);
      fields = decodePositionReportA(b);
      break;
    case 4:
    case 11:
      need(b, type, BASE_STATION_MIN_BITS);
      fields = decodeBaseStation(b);
      break;
    case 6:
      need(b, type, ADDRESSED_BINARY_MIN_BITS, BINARY_MESSAGE_MAX_BITS);
      fields = decodeAddressedBinary(b);
      break;
    case 8:
      need(b, type, BROADCAST_BINARY_MIN_BITS, BINARY_MESSAGE_MAX_BITS);
      fields = decodeBroadcastBinary(b);
      break;
    case 9:
      need(b, type, SAR_AIRCRAFT_MIN_BITS);
      fields = decodeSarAircraft(b);
      break;
    case 10:
      need(b, type, UTC_INQUIRY_MIN_BITS);
      fields = decodeUtcInquiry(b);
      break;
    case 12:
      need(b, type, ADDRESSED_SAFETY_MIN_BITS, SAFETY_MESSAGE_MAX_BITS);
      fields = decodeAddressedSafety(b);
      break;
    case 14:
      need(b, type, BROADCAST_SAFETY_MIN_BITS, SAFETY_MESSAGE_MAX_BITS);
      fields = decodeBroadcastSafety(b);
      break;
    case 15:
      need(b, type, INTERROGATION_MIN_BITS, INTERROGATION_MAX_BITS);
      fields = decodeInterrogation(b);
      break;
    case 16:
      need(b, type, ASSIGNED_MODE_MIN_BITS, ASSIGNED_MODE_MAX_BITS);
      fields = decodeAssignedMode(b);
      break;
    case 22:
      need(b, type, CHANNEL_MANAGEMENT_MIN_BITS);
      fields = decodeChannelManagement(b);
      break;
    case 25:
      need(b, type, 0, SINGLE_SLOT_BINARY_MAX_BITS);
      fields = decodeSlotBinary(b, 25);
      break;
    case 26:
      need(b, type, 0, MULTIPLE_SLOT_BINARY_MAX_BITS);
      fields = decodeSlotBinary(b, 26);
      break;
    case 17:
      need(b, type, GNSS_BROADCAST_MIN_BITS, GNSS_BROADCAST_MAX_BITS);
      fields = decodeGnssBroadcast(b);
      break;
    case 23:
      need(b, type, GROUP_ASSIGNMENT_MIN_BITS);
      fields = decodeGroupAssignment(b);
      break;
    case 7:
    case 13:
      need(b, type, ACKNOWLEDGE_MIN_BITS);
      fields = decodeAcknowledge(b);
      break;
    case 20:
      need(b, type, DATA_LINK_MANAGEMENT_MIN_BITS);
      fields = decodeDataLinkManagement(b);
      break;
    case 21:
      need(b, type, AID_TO_NAVIGATION_MIN_BITS);
      fields = decodeAidToNavigation(b);
      break;
    case 5:
      need(b, type, STATIC_VOYAGE_MIN_BITS);
      fields = decodeStaticVoyage(b);
      break;
    case 18:
      need(b, type, POSITION_REPORT_B_MIN_BITS);
      fields = decodePositionReportB(b);
      break;
    case 19:
      need(b, type, EXTENDED_POSITION_REPORT_B_MIN_BITS);
      fields = decodeExtendedPositionReportB(b);
      break;
    case 24: {
      need(b, type, 40);
      const part = b.u(38, 2);
      // Parts C and D (2, 3) are not defined by ITU-R M.1371-5 Table 72.
      if (part === 0) {
        need(b, type, STATIC_PART_A_MIN_BITS);
        fields = decodeStaticPartA(b);
      } else if (part === 1) {
        need(b, type, STATIC_PART_B_MIN_BITS);
        fields = decodeStaticPartB(b, mmsi);
      } else {
        throw new AisError(AisErrorCode.UnsupportedType, `type 24 part ${part} is not defined`, { type, part });
      }
      break;
    }
    case 27:
      need(b, type, LONG_RANGE_MIN_BITS);
      fields = decodeLongRange(b);
      break;
    default:
      throw new AisError(AisErrorCode.UnsupportedType, `AIS message type ${type} is not supported`, { type, mmsi });
  }
  const scaled = options.scaled ?? true;
  // One literal, not Object.assign onto the header: copying 40-odd fields property by property
  // turned the message into a slow dictionary object (tens of µs for the meteorological ones).
  return { class: 'AIS', type, repeat, mmsi, scaled, ...(scaled ? scaleAisFields(type, fields) : fields) };
}

function need(b: AisBits, type: number, min: number, max = Infinity): void {
  if (b.length < min) throw new AisError(AisErrorCode.TooShort, `type ${type} needs ${min} bits, got ${b.length}`, { type, bits: b.length, min });
  if (b.length > max) throw new AisError(AisErrorCode.TooLong, `type ${type} has at most ${max} bits, got ${b.length}`, { type, bits: b.length, max });
}
