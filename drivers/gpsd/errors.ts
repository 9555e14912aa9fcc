/** Stable reasons the gpsd source counts or rejects what gpsd sent; the codes never change meaning. */
export const GpsdErrorCode = {
  /** A line that is not a JSON object, or an object without a `class`. */
  BadJson: 'GPSD_BAD_JSON',
  /** A report field malformed or out of range: a key field rejects the report, a minor one is left out (gpsd-json.ts). */
  BadField: 'GPSD_BAD_FIELD',
  /** A report class the source does not use (VERSION, DEVICES, WATCH, ...): expected replies, only counted. */
  Unsupported: 'GPSD_UNSUPPORTED',
  /** The `?WATCH` subscription could not be written after a (re)connect. */
  WatchFailed: 'GPSD_WATCH_FAILED',
  /** A half line left from the previous connection, dropped when the link reopened. */
  PartialLine: 'GPSD_PARTIAL_LINE',
  /** A line longer than the framer keeps, dropped. */
  LineTooLong: 'GPSD_LINE_TOO_LONG',
} as const;
export type GpsdErrorCode = (typeof GpsdErrorCode)[keyof typeof GpsdErrorCode];
