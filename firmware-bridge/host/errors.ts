import { CodedError } from '../../core/coded-error.ts';

/**
 * Stable codes of the firmware bridge (MCUB_*). Frame-level codes mirror pm_result_t in
 * firmware/core/pm_proto.h so a vector's `error` names the same thing on both sides.
 */
export const FrameErrorCode = {
  COBS: 'COBS',
  SHORT: 'SHORT',
  CRC: 'CRC',
  VERSION: 'VERSION',
  PAYLOAD: 'PAYLOAD',
  UNKNOWN_TYPE: 'UNKNOWN_TYPE',
  TOO_LONG: 'TOO_LONG',
} as const;
export type FrameErrorCode = (typeof FrameErrorCode)[keyof typeof FrameErrorCode];

export const McuErrorCode = {
  /** Request not answered after all retransmissions. */
  TIMEOUT: 'MCUB_TIMEOUT',
  /** The MCU answered a request with NAK. */
  NAK: 'MCUB_NAK',
  /** No protocol version both sides speak. */
  VERSION_MISMATCH: 'MCUB_VERSION_MISMATCH',
  /** Nothing valid heard within the silence limit. */
  SILENT: 'MCUB_SILENT',
  /** Bytes arrive but none forms a valid frame: wrong baud rate, wiring or noise. */
  GARBLED: 'MCUB_GARBLED',
  /** The MCU came back with another boot id, or lost its session. */
  REBOOTED: 'MCUB_REBOOTED',
  /** The link closed or could not be opened. */
  LINK: 'MCUB_LINK',
  /** A message cannot be encoded (value out of range). */
  ENCODE: 'MCUB_ENCODE',
  /** The source was stopped while a request was in flight. */
  STOPPED: 'MCUB_STOPPED',
  /** A partly received frame was dropped when the receiver was reset (the port was reopened). */
  FRAME_TRUNCATED: 'MCUB_FRAME_TRUNCATED',
  /** A frame handler failed (a bug here, counted instead of crashing the agent). */
  INTERNAL: 'MCUB_INTERNAL',
  /** A periodic TIME_SYNC round got no usable answer; the previous mapping stays. */
  TIMESYNC_FAILED: 'MCUB_TIMESYNC_FAILED',
  /** The reading consumer threw; the report is still ACKed once, never emitted twice. */
  CONSUMER: 'MCUB_CONSUMER',
} as const;
export type McuErrorCode = (typeof McuErrorCode)[keyof typeof McuErrorCode];

/** A frame the receiver rejected, counted as MCUB_FRAME_<pm_result_t name>. */
export type McuFrameRejectCode = `MCUB_FRAME_${FrameErrorCode}`;

/** A firmware-bridge failure (no stack trace, as every CodedError: see core/coded-error.ts). */
export class McuBridgeError extends CodedError<McuErrorCode> {}
