/**
 * The drivers' error codes are closed sets (issue 10: typed error codes): each subsystem keeps
 * one `as const` registry, its counters and error classes take only those codes, and a
 * misspelt code does not compile (the @ts-expect-error lines below are checked by
 * `npm run typecheck`). The strings are a public contract: metrics and docs name them.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.ts';
import { ErrorCounter } from '../../core/coded-error.ts';
import { createLogger } from '../../core/log.ts';
import { logRejects, RejectLog } from '../../core/reject-log.ts';
import { ManualTimers } from '../../core/timers.ts';
import { GpsdErrorCode } from '../../drivers/gpsd/errors.ts';
import { exceptionCode, isExceptionCode, ModbusError, ModbusErrorCode } from '../../drivers/modbus/errors.ts';
import { encodeNmeaSentence } from '../../drivers/nmea/checksum.ts';
import { GnssErrorCode, NmeaDecodeFramingCode, NmeaErrorCode, NmeaFramingCode } from '../../drivers/nmea/errors.ts';
import { createNmeaStreamDecoder } from '../../drivers/nmea/stream-decoder.ts';
import { createAisStreamDecoder } from '../../drivers/ais/stream-decoder.ts';
import { AisErrorCode } from '../../drivers/ais/errors.ts';
import { createModbusStreamDecoder } from '../../drivers/modbus/sniffer.ts';
import { createEm4100StreamDecoder, createUhfR200StreamDecoder } from '../../drivers/rfid/stream-decoder.ts';
import { createMcuStreamDecoder } from '../../firmware-bridge/host/frame-decoder.ts';
import { FrameErrorCode } from '../../firmware-bridge/host/errors.ts';
import type { DecodeEvent, StreamDecoder } from '../../core/stream-decoder.ts';
import { NmeaSerialSource } from '../../drivers/nmea/nmea-serial-source.ts';
import { RfidError, RfidErrorCode } from '../../drivers/rfid/errors.ts';
import { SerialErrorCode } from '../../drivers/serial/errors.ts';
import { TpmError } from '../../drivers/tpm/tpm-error.ts';
import type { SigningErrorCode } from '../../agent/signing/errors.ts';
import { MockLink } from './ais/mock-link.ts';

describe('driver error codes', () => {
  it('an NMEA source counts each framer discard under its NMEA_FRAMING_* code, and only registered codes', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const link = new MockLink();
    const source = new NmeaSerialSource({ id: 'gps', link, clock, timers: new ManualTimers(clock) });
    await source.start(() => {});
    const gga = encodeNmeaSentence('GPGGA,120000.00,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,');
    link.feed(`noise${gga}\r\n`); // no-start: bytes before the `$`
    link.feed(`$GPGGA,12${gga}\r\n`); // interrupted: a `$` inside a sentence
    link.feed(`$${'A'.repeat(300)}\r\n`); // too-long: over the 256-byte bound
    link.feed('$GPRMC,1'); // incomplete once the source stops
    await source.stop();
    const errors = source.health().errors;
    expect(errors).toMatchObject({ NMEA_FRAMING_NO_START: 1, NMEA_FRAMING_INTERRUPTED: 1, NMEA_FRAMING_TOO_LONG: 1, NMEA_FRAMING_INCOMPLETE: 1 });
    const registered = new Set<string>([...Object.values(NmeaErrorCode), ...Object.values(NmeaFramingCode), ...Object.values(GnssErrorCode)]);
    expect(Object.keys(errors).filter((c) => !registered.has(c))).toEqual([]);
  });

  it('keeps the strings metrics and docs name', () => {
    expect(NmeaFramingCode).toEqual({ 'too-long': 'NMEA_FRAMING_TOO_LONG', 'no-start': 'NMEA_FRAMING_NO_START', interrupted: 'NMEA_FRAMING_INTERRUPTED', incomplete: 'NMEA_FRAMING_INCOMPLETE' });
    expect(Object.values(GnssErrorCode).sort()).toEqual(['GNSS_IMPLAUSIBLE', 'GNSS_NO_FIX', 'GNSS_NO_POSITION', 'GNSS_TIME_IMPLAUSIBLE']);
    expect(Object.values(GpsdErrorCode).sort()).toEqual(['GPSD_BAD_FIELD', 'GPSD_BAD_JSON', 'GPSD_LINE_TOO_LONG', 'GPSD_PARTIAL_LINE', 'GPSD_UNSUPPORTED', 'GPSD_WATCH_FAILED']);
    expect(Object.values(SerialErrorCode).sort()).toEqual(['SERIAL_INTERNAL', 'SERIAL_NOT_OPEN', 'SERIAL_OPEN_FAILED', 'SERIAL_PATH_GONE', 'SERIAL_PATH_MOVED', 'SERIAL_STALE', 'SERIAL_STALE_REOPEN', 'SERIAL_VANISHED']);
    expect([ModbusErrorCode.LinkLost, RfidErrorCode.LinkLost]).toEqual(['MODBUS_LINK_LOST', 'RFID_LINK_LOST']);
    expect([ModbusErrorCode.Internal, RfidErrorCode.Internal, AisErrorCode.Internal]).toEqual(['MODBUS_INTERNAL', 'RFID_INTERNAL', 'AIS_INTERNAL']);
  });

  it('a Modbus exception code names the byte the slave sent, and is told apart from a failure', () => {
    expect(exceptionCode(2)).toBe('MODBUS_EXCEPTION_2');
    expect(isExceptionCode(exceptionCode(200))).toBe(true);
    expect(isExceptionCode(ModbusErrorCode.Timeout)).toBe(false);
  });

  it('does not compile a code outside a driver registry', () => {
    const counter = new ErrorCounter<GpsdErrorCode | GnssErrorCode>();
    counter.count(GpsdErrorCode.PartialLine);
    counter.count('GNSS_NO_FIX');
    // @ts-expect-error GNSS_NO_FX is not a GNSS code
    counter.count('GNSS_NO_FX');
    const unnamed = new ErrorCounter();
    // @ts-expect-error a counter that names no registry counts no literal code
    unnamed.count('GNSS_NO_FIX');
    const serial = new ErrorCounter<SerialErrorCode>();
    // @ts-expect-error SERIAL_VANISH is not a serial code
    serial.count('SERIAL_VANISH');
    const rejects = new RejectLog<NmeaErrorCode | NmeaFramingCode>({ clock: new ManualClock(0), write: () => {} });
    rejects.reject('NMEA_FRAMING_NO_START', 'x');
    // @ts-expect-error NMEA_FRAMING_NOSTART is not a framing code
    rejects.reject('NMEA_FRAMING_NOSTART', 'x');
    // @ts-expect-error RFID_BAD_CHEKSUM is not an RFID code
    const rfid = new RfidError('RFID_BAD_CHEKSUM', 'x');
    const exception = new ModbusError('MODBUS_EXCEPTION_11', 'gateway target device failed to respond');
    // @ts-expect-error an exception code carries the exception's number
    const badException = new ModbusError('MODBUS_EXCEPTION_X', 'x');
    expect(counter.snapshot()).toEqual({ GPSD_PARTIAL_LINE: 1, GNSS_NO_FIX: 1, GNSS_NO_FX: 1 });
    expect([unnamed.total(), serial.get('SERIAL_VANISH'), rejects.counts.total(), rfid.code, exception.code, badException.code]).toEqual([1, 1, 2, 'RFID_BAD_CHEKSUM', 'MODBUS_EXCEPTION_11', 'MODBUS_EXCEPTION_X']);
  });

  it('each `decode` codec reports its rejections under its own registry; NMEA framing as NMEA_FRAMING', () => {
    const garbage = Buffer.from('noise$GPGGA,1*00\r\n$GPXYZ,1\r\n!AIVDM,1,1,,A,zz,0*00\r\n\x00\x02\x03\x01\x00');
    const rejected = <C extends string>(d: StreamDecoder<C>): C[] =>
      [...d.push(garbage), ...d.flush()].flatMap((e: DecodeEvent<C>) => (e.ok ? [] : [e.code]));
    const nmea = rejected(createNmeaStreamDecoder());
    expect(nmea).toContain('NMEA_FRAMING');
    // Checked by the type checker (npm run typecheck), not at run time: a misspelt code does not compile.
    // @ts-expect-error NMEA_FRAMNG is no code the NMEA decoder reports
    const misspelt: (typeof nmea)[number] = 'NMEA_FRAMNG';
    void misspelt;
    const only = (codes: string[], registry: readonly string[]) => codes.filter((c) => !registry.includes(c));
    expect(only(nmea, [...Object.values(NmeaErrorCode), ...Object.values(NmeaDecodeFramingCode)])).toEqual([]);
    const ais = rejected(createAisStreamDecoder());
    expect(ais.length).toBeGreaterThan(0);
    expect(only(ais, Object.values(AisErrorCode))).toEqual([]);
    const modbus = rejected(createModbusStreamDecoder());
    expect(modbus).toContain(ModbusErrorCode.Discarded);
    expect(only(modbus, Object.values(ModbusErrorCode))).toEqual([]);
    for (const rfid of [rejected(createEm4100StreamDecoder()), rejected(createUhfR200StreamDecoder())]) {
      expect(rfid).toContain(RfidErrorCode.Discarded);
      expect(only(rfid, Object.values(RfidErrorCode))).toEqual([]);
    }
    const mcu = rejected(createMcuStreamDecoder());
    expect(mcu.length).toBeGreaterThan(0);
    expect(only(mcu, Object.values(FrameErrorCode).map((c) => `MCUB_FRAME_${c}`))).toEqual([]);
  });

  it('a TPM error carries a client-side reason or the response code the TPM answered, never a code inferred from a typo', () => {
    // 0x98E: format one, error 0x0E (TPM_RC_AUTH_FAIL), session 1 (TPM 2.0 Part 2 §6.6.3, Figure 3).
    expect(TpmError.fromRc(0x98e, 'TPM2_Unseal').code).toBe('TPM_RC_AUTH_FAIL');
    expect(new TpmError('TPM_TIMEOUT', 'no response').code).toBe('TPM_TIMEOUT');
    // The agent raises it over its key files with its own registry.
    expect(new TpmError<SigningErrorCode>('TPM_KEY_FILE', 'not JSON').code).toBe('TPM_KEY_FILE');
    // @ts-expect-error TPM_TIMEOUTS is not a TPM code
    const misspelt = new TpmError('TPM_TIMEOUTS', 'x');
    // @ts-expect-error TPM_KEY_FILE is the agent's signing code, not the driver's: it must be named
    const unnamed = new TpmError('TPM_KEY_FILE', 'x');
    expect([misspelt.code, unnamed.code]).toEqual(['TPM_TIMEOUTS', 'TPM_KEY_FILE']);
  });

  it('the shared reject writer logs each rejection at debug with its code, and summaries at info', () => {
    const lines: { level: string; msg: string; code?: string; byCode?: Record<string, number> }[] = [];
    const log = createLogger('t', 'debug', (l) => lines.push(JSON.parse(l)));
    const rejects = new RejectLog<GpsdErrorCode>({ clock: new ManualClock(0), detailPerInterval: 1, write: logRejects(log, 'report(s)') });
    rejects.reject(GpsdErrorCode.BadJson, 'not a JSON object');
    rejects.reject(GpsdErrorCode.BadJson, 'not a JSON object');
    rejects.flush();
    expect(lines.map(({ level, msg, code, byCode }) => ({ level, msg, code, byCode }))).toEqual([
      { level: 'debug', msg: 'rejected: not a JSON object', code: 'GPSD_BAD_JSON', byCode: undefined },
      { level: 'info', msg: '1 more rejected report(s) not logged one by one', code: undefined, byCode: { GPSD_BAD_JSON: 1 } },
    ]);
  });
});
