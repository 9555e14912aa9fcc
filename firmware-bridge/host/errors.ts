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
} as const;
export type McuErrorCode = (typeof McuErrorCode)[keyof typeof McuErrorCode];

export class McuBridgeError extends CodedError {}
