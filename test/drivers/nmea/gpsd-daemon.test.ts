import { describe, expect, it } from 'vitest';
import { conformance, DAEMON_LOGS, type ConformanceField } from './gpsd-daemon.ts';

/**
 * Conformance with gpsd 3.22 on every NMEA 0183 and AIVDM log gpsd ships in test/daemon/
 * (test/fixtures/gpsd/daemon, README there): per log, per epoch and per field, our decoders'
 * result against gpsd's own `.chk` report. Fields: position (1e-6°), altitude MSL (1 mm),
 * time (exact ms), speed (0.01 m/s), track (0.01°), fix mode, HDOP/VDOP/PDOP (0.005),
 * satellites used, and every AIS field gpsd prints (`*_text` lookups aside).
 *
 * Every remaining difference is listed below with its reason; the test fails when a count
 * changes either way, so a fix or a regression both show up here. The counts are epochs (or
 * AIS messages) that differ, out of the epochs where gpsd reported that field.
 */
const REASONS: Record<string, string> = {
  'gsa-2d-promoted':
    "The receiver's GSA says 2D; gpsd reports 3D because the epoch has an altitude (its heuristic promotes 2D to 3D). We report what the receiver said.",
  'mode-carried-over':
    'The epoch has no GGA/GNS/GSA, or no altitude (e.g. Garmin units that send GLL alone every other second): gpsd keeps the mode of an earlier cycle; we report what this epoch supports (RMC/GLL status A: 2D).',
  'warning-keeps-gsa-mode':
    "The receiver flags the epoch (RMC/GLL status V, GGA quality 0 or 8 = simulator) while its GSA says 2D/3D: we keep GSA's mode and mark the fix invalid (valid: false); gpsd drops the mode to 1.",
  'receiver-says-invalid':
    'GGA quality 0, RMC V or GSA mode 1 with a position in the fields: gpsd still reports 2D/3D from the position fields; we report no fix, as the receiver does.',
  'gga-zero-sats-then-fix':
    'GGA says 0 satellites used (gpsd: no fix, and its report is made at that GGA) while the same epoch has a GSA or RMC with a fix; we follow the GSA/RMC.',
  'untimed-cycles-merged':
    'The receiver sent several no-fix cycles with empty time fields; they join the next timed epoch, whose GGA quality 0 makes it no fix; gpsd reports the last GLL alone (status A: 2D).',
  'position-other-sentence':
    "The epoch's GGA, RMC and GLL give the position with different precision; we take GGA's (then RMC, then GLL), gpsd the last sentence's.",
  'position-carried-over': 'No position in this epoch; gpsd reports the one of an earlier cycle.',
  'speed-carried-over': 'No RMC or VTG in this epoch: gpsd reports the speed and track of an earlier cycle; we report none.',
  'rmc-over-vtg': "The epoch's RMC and VTG disagree; we take RMC's, gpsd the VTG it read later.",
  'speed-reported-before-vtg':
    "gpsd's report for the epoch is made at its GGA/GLL, before the epoch's VTG, so its speed is not the VTG's (gpsd derives one from earlier data); ours is the receiver's VTG value.",
  'dop-not-sent':
    "The epoch's sentences carry no such DOP (no GSA, or a no-fix GSA with empty DOP fields); gpsd reports one from an earlier cycle or computed from its sky view; we report none.",
  'dop-implausible':
    'The receiver sent a DOP above 50 (99.0 or 60.000, its "no value"); our plausibility bound (drivers/nmea/README.md) leaves it out and flags it; gpsd prints it.',
  'dop-computed-by-gpsd':
    "gpsd prints a DOP computed from its sky view (5.69 where the receiver's GSA says 5.7, 9.3 where it says 9.2); ours is the receiver's.",
  'dop-sentences-disagree':
    "The epoch's sentences give different values (GGA's HDOP vs GSA's, or one GSA per constellation with its own DOPs); we keep the last GSA's, gpsd the value it read last before its report.",
  'usat-zero':
    "gpsd's SKY says 0 used: it counts only satellites a GSA marked used and the epoch had none (or gpsd reported before the GSA); we report GGA's count, or nothing.",
  'usat-sky-view':
    'gpsd counts used satellites among those in its sky view (GSV) only; we count every (system, id) pair the epoch\'s GSAs list as used, summed over constellations, and GGA\'s count only when no GSA lists any.',
  'garmin-pgrmz-altitude':
    "gpsd takes altitude from Garmin's proprietary $PGRMZ (feet); we do not decode proprietary sentences, so ours is GGA's (or none).",
  'gpsd-day-wrap':
    'The log joins two recordings and time of day goes back; gpsd assumes a midnight and adds a day; we use the date the epoch\'s ZDA gives (both after the same 1024-week correction).',
  'gpsd-rollover-inconsistent':
    'gpsd corrects the 1024-week rollover on the first epoch (2024) but reports the receiver\'s 2005 date on the next, after a proprietary $PGRMF; we correct every epoch the same way.',
  'ais-type24-part-b-alone':
    'A type 24 part B with no part A from the same MMSI on its channel (AIS_TYPE24_UNPAIRED): gpsd 3.22 prints nothing for it either, and the part A it would complete never came.',
};

/** Differences that remain, by log, field and reason (number of epochs or AIS messages). */
const EXPECTED: Record<string, Partial<Record<ConformanceField, Record<string, number>>>> = {
  'GPSmap-76S.log': { mode: { 'warning-keeps-gsa-mode': 12 } },
  'bt451.log': { mode: { 'untimed-cycles-merged': 1 }, time: { 'gpsd-day-wrap': 1 }, speed: { 'speed-carried-over': 1 } },
  'bu353-glonass.log': { hdop: { 'dop-not-sent': 2 }, vdop: { 'dop-not-sent': 2 }, pdop: { 'dop-not-sent': 2 } },
  'bundg_zeus_9.log': { mode: { 'mode-carried-over': 1 }, position: { 'position-other-sentence': 85 }, vdop: { 'dop-not-sent': 2 }, pdop: { 'dop-not-sent': 2 }, satellitesUsed: { 'usat-sky-view': 1 }, speed: { 'rmc-over-vtg': 20, 'speed-carried-over': 2 }, track: { 'rmc-over-vtg': 23, 'speed-carried-over': 1 } },
  'ch-4701.log': { vdop: { 'dop-computed-by-gpsd': 4 }, pdop: { 'dop-computed-by-gpsd': 4 } },
  'ch-4711.log': { mode: { 'gsa-2d-promoted': 7 }, satellitesUsed: { 'usat-zero': 1 } },
  'eXplorist210.log': { satellitesUsed: { 'usat-zero': 1 } },
  'foretrex-201.log': { mode: { 'gsa-2d-promoted': 6 }, altitude: { 'garmin-pgrmz-altitude': 1 } },
  'garmin-10x.log': { mode: { 'gsa-2d-promoted': 2 }, hdop: { 'dop-not-sent': 4 }, vdop: { 'dop-not-sent': 4 }, pdop: { 'dop-not-sent': 4 } },
  'garmin-geko201.log': { mode: { 'warning-keeps-gsa-mode': 17 }, altitude: { 'garmin-pgrmz-altitude': 1 } },
  'garmin17n.log': { time: { 'gpsd-rollover-inconsistent': 1 }, satellitesUsed: { 'usat-sky-view': 1 } },
  'garmin25lp.log': { mode: { 'gga-zero-sats-then-fix': 1, 'gsa-2d-promoted': 9 }, satellitesUsed: { 'usat-zero': 1 } },
  'garmin38.log': { mode: { 'mode-carried-over': 1 }, altitude: { 'garmin-pgrmz-altitude': 1 } },
  'garmin48.log': { mode: { 'mode-carried-over': 6 }, speed: { 'speed-carried-over': 6 } },
  'geos-1m.log': { satellitesUsed: { 'usat-zero': 9 } },
  'gp-320fw-2019-04-07-coldboot.log': { vdop: { 'dop-not-sent': 7 }, pdop: { 'dop-not-sent': 7 } },
  'gpsdf.log': { hdop: { 'dop-sentences-disagree': 51 }, satellitesUsed: { 'usat-zero': 1, 'usat-sky-view': 6 }, vdop: { 'dop-sentences-disagree': 6 }, pdop: { 'dop-sentences-disagree': 6 } },
  'gr601-w.log': { satellitesUsed: { 'usat-zero': 1 } },
  'haicom-305N.log': { mode: { 'gga-zero-sats-then-fix': 1, 'gsa-2d-promoted': 1 }, satellitesUsed: { 'usat-zero': 1 } },
  'hemi.log': { speed: { 'speed-reported-before-vtg': 5 } },
  'humminbird-M37.log': { mode: { 'mode-carried-over': 22 }, speed: { 'speed-reported-before-vtg': 7, 'speed-carried-over': 7 } },
  'iTrek.log': { mode: { 'mode-carried-over': 9 }, hdop: { 'dop-sentences-disagree': 1 }, vdop: { 'dop-not-sent': 1, 'dop-sentences-disagree': 1 }, pdop: { 'dop-not-sent': 1, 'dop-sentences-disagree': 1 }, satellitesUsed: { 'usat-zero': 1 } },
  'isync.log': { satellitesUsed: { 'usat-sky-view': 6 } },
  'mr-350p.log': { speed: { 'speed-carried-over': 12 } },
  'mtk-3301.log': { mode: { 'receiver-says-invalid': 2, 'gsa-2d-promoted': 1 } },
  'mtk-3329.log': { mode: { 'gsa-2d-promoted': 4 }, satellitesUsed: { 'usat-zero': 1 } },
  'myguide-3100.log': { mode: { 'receiver-says-invalid': 2 }, hdop: { 'dop-implausible': 2 }, vdop: { 'dop-implausible': 2 }, pdop: { 'dop-implausible': 2 }, satellitesUsed: { 'usat-sky-view': 1 } },
  'navika-100-fix.log': { satellitesUsed: { 'usat-sky-view': 20 } },
  'neo-m8n.log': { satellitesUsed: { 'usat-zero': 1 } },
  'oncore.log': { mode: { 'gsa-2d-promoted': 6 }, satellitesUsed: { 'usat-zero': 1 } },
  'quectel.log': { mode: { 'gsa-2d-promoted': 33, 'warning-keeps-gsa-mode': 1 }, satellitesUsed: { 'usat-sky-view': 12, 'usat-zero': 6 } },
  'quectelLC79D-1.log': { vdop: { 'dop-sentences-disagree': 6 }, pdop: { 'dop-sentences-disagree': 4 }, satellitesUsed: { 'usat-sky-view': 24 } },
  'quectelLC79D.log': { hdop: { 'dop-sentences-disagree': 30 }, satellitesUsed: { 'usat-zero': 1, 'usat-sky-view': 29 }, vdop: { 'dop-sentences-disagree': 4 }, pdop: { 'dop-sentences-disagree': 7 } },
  'rgm3800.log': { mode: { 'gsa-2d-promoted': 1 } },
  'rst39.log': { speed: { 'speed-carried-over': 36 } },
  'rx210.log': { vdop: { 'dop-not-sent': 2 }, pdop: { 'dop-not-sent': 2 } },
  'sl869.log': { mode: { 'gsa-2d-promoted': 2 }, hdop: { 'dop-implausible': 9 }, vdop: { 'dop-implausible': 9 }, pdop: { 'dop-implausible': 9 } },
  'telit-he910.log': { satellitesUsed: { 'usat-sky-view': 3 } },
  'tn204.log': { mode: { 'mode-carried-over': 3 }, speed: { 'speed-carried-over': 3 } },
  'tomtom-mkII.log': { mode: { 'gsa-2d-promoted': 2 }, hdop: { 'dop-not-sent': 1 }, vdop: { 'dop-not-sent': 1 }, pdop: { 'dop-not-sent': 1 }, satellitesUsed: { 'usat-zero': 1 } },
  'tr737A+.log': { mode: { 'receiver-says-invalid': 1 }, speed: { 'speed-carried-over': 1 } },
  'ublox-lea-4h.log': { mode: { 'gsa-2d-promoted': 4 } },
  'ublox-lea-5h.log': { mode: { 'mode-carried-over': 1 }, speed: { 'speed-carried-over': 1 } },
  'ublox-neo-m9n-nmea.log': { satellitesUsed: { 'usat-sky-view': 61 } },
  'ublox-zed-f9p-nmea.log': { satellitesUsed: { 'usat-sky-view': 29 } },
};

/**
 * AIS sentences rejected (coded) where gpsd printed nothing either, by log, code and reason.
 * Any rejection not listed here fails the test, so none goes unexplained.
 */
const AIS_REJECTED: Record<string, Record<string, { count: number; reason: string }>> = {
  'ais-nmea-type6-fid55.log': { AIS_TYPE24_UNPAIRED: { count: 44, reason: 'ais-type24-part-b-alone' } },
};

/** Differences the generic classification in gpsd-daemon.ts leaves as 'other', explained per log. */
const OTHER: Record<string, Partial<Record<ConformanceField, string>>> = {
  'bt451.log': { mode: 'untimed-cycles-merged', time: 'gpsd-day-wrap' },
  'ch-4701.log': { vdop: 'dop-computed-by-gpsd', pdop: 'dop-computed-by-gpsd' },
  'foretrex-201.log': { altitude: 'garmin-pgrmz-altitude' },
  'garmin-geko201.log': { altitude: 'garmin-pgrmz-altitude' },
  'garmin38.log': { altitude: 'garmin-pgrmz-altitude' },
  'garmin17n.log': { time: 'gpsd-rollover-inconsistent' },
  'garmin25lp.log': { mode: 'gga-zero-sats-then-fix' },
  'haicom-305N.log': { mode: 'gga-zero-sats-then-fix' },
  'hemi.log': { speed: 'speed-reported-before-vtg' },
  'humminbird-M37.log': { speed: 'speed-reported-before-vtg' },
  'mtk-3301.log': { mode: 'receiver-says-invalid' },
  'myguide-3100.log': { mode: 'receiver-says-invalid' },
  'tr737A+.log': { mode: 'receiver-says-invalid' },
};

/** Logs in which gpsd reports nothing this comparison covers, and why. */
const NOTHING_TO_COMPARE: Record<string, string> = {
  'skytraq-err.log': 'only SkyTraq $STI error sentences; gpsd reports nothing from them either',
  'tnt-revolution.log': "only True North $PTNTHTM compass sentences (proprietary): gpsd reports attitude (ATT), which is outside this codec's scope",
};

describe('conformance with gpsd 3.22 on its own test/daemon logs', () => {
  it('covers the 100 NMEA 0183 and AIVDM logs of gpsd 3.22 test/daemon (binary-protocol logs are not copied)', () => {
    expect(DAEMON_LOGS).toHaveLength(100);
  });

  it('every listed reason is explained', () => {
    for (const per of Object.values(EXPECTED)) for (const f of Object.values(per)) for (const r of Object.keys(f!)) expect(REASONS[r], r).toBeDefined();
    for (const per of Object.values(AIS_REJECTED)) for (const { reason } of Object.values(per)) expect(REASONS[reason], reason).toBeDefined();
  });

  for (const log of DAEMON_LOGS) {
    it(`${log}: agrees with gpsd on every field except the differences listed for it`, () => {
      const got: Partial<Record<ConformanceField, Record<string, number>>> = {};
      let compared = 0;
      const { aisRejectedLikeGpsd, ...fields } = conformance(log);
      const rejected = Object.fromEntries(Object.entries(AIS_REJECTED[log] ?? {}).map(([code, { count }]) => [code, count]));
      expect(aisRejectedLikeGpsd ?? {}, 'AIS rejections, each with its reason in AIS_REJECTED').toEqual(rejected);
      for (const [field, tally] of Object.entries(fields) as Array<[ConformanceField, NonNullable<ReturnType<typeof conformance>[ConformanceField]>]>) {
        compared += tally.compared;
        for (const [reason, n] of Object.entries(tally.byReason)) {
          const key = reason === 'other' ? (OTHER[log]?.[field] ?? `unexplained: ${tally.samples.other}`) : reason;
          (got[field] ??= {})[key] = (got[field]?.[key] ?? 0) + n;
        }
      }
      if (NOTHING_TO_COMPARE[log] !== undefined) expect(compared).toBe(0);
      else expect(compared, 'gpsd reported something we compared').toBeGreaterThan(0);
      expect(got).toEqual(EXPECTED[log] ?? {});
    });
  }
});
