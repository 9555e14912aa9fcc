import type { DecodeEvent, StreamDecoder } from '../../core/stream-decoder.ts';
import { Em4100Framer, type Em4100Event } from './em4100.ts';
import { UhfR200Framer, type UhfEvent } from './uhf-r200.ts';
import type { RfidErrorCode } from './errors.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function toEvents(evs: (Em4100Event | UhfEvent)[]): DecodeEvent<RfidErrorCode>[] {
  return evs.map((e) =>
    e.ok
      ? { ok: true, message: { ...e.read, raw: hex(e.frame) } }
      : { ok: false, code: e.error.code, reason: e.error.message, raw: hex(e.bytes) },
  );
}

/** `place-agent decode rfid-em4100`: RDM6300 and ID-12LA/ID-20LA frames, either framing, on one stream. */
export function createEm4100StreamDecoder(): StreamDecoder<RfidErrorCode> {
  const f = new Em4100Framer();
  return { push: (c) => toEvents(f.push(c)), flush: () => toEvents(f.flush()) };
}

/** `place-agent decode rfid-uhf`: M100/QM100 (R200, YRM100) UHF reader frames. */
export function createUhfR200StreamDecoder(): StreamDecoder<RfidErrorCode> {
  const f = new UhfR200Framer();
  return { push: (c) => toEvents(f.push(c)), flush: () => toEvents(f.flush()) };
}
