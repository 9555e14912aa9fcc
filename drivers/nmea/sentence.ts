import type { GgaSentence } from './gga.ts';
import type { GllSentence } from './gll.ts';
import type { GnsSentence } from './gns.ts';
import type { GsaSentence } from './gsa.ts';
import type { GstSentence } from './gst.ts';
import type { GsvSentence } from './gsv.ts';
import type { RmcSentence } from './rmc.ts';
import type { VtgSentence } from './vtg.ts';
import type { ZdaSentence } from './zda.ts';

/**
 * Every sentence this codec decodes, discriminated by `sentence` (the formatter).
 * `badFields` names the minor fields that were malformed and left out (each also reported
 * as an NMEA_BAD_FIELD error beside the sentence).
 */
export type NmeaSentence = (
  | GgaSentence
  | RmcSentence
  | GsaSentence
  | GsvSentence
  | GstSentence
  | VtgSentence
  | ZdaSentence
  | GnsSentence
  | GllSentence
) & { badFields?: string[] };

export type NmeaFormatter = NmeaSentence['sentence'];

export type { GgaSentence, GllSentence, GnsSentence, GsaSentence, GstSentence, GsvSentence, RmcSentence, VtgSentence, ZdaSentence };
