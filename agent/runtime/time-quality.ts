/**
 * Time quality of the host clock for the `tq` claim. systemd-timesyncd (and chrony with its
 * hook) marks a synchronised clock with /run/systemd/timesync/synchronized; without it the
 * clock is the RTC's word only. A GNSS source reporting a sane fix can upgrade it.
 */
import { existsSync } from 'node:fs';
import type { TimeQuality } from '../lineage/observation.ts';

export function hostTimeQuality(): TimeQuality {
  if (existsSync('/run/systemd/timesync/synchronized')) return { src: 'ntp', sync: true, errMs: 100 };
  return { src: 'rtc', sync: false, errMs: 2000 };
}
