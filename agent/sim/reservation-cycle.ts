/**
 * The embedded demo's reservation cycle (about every 30 s): the development authority signs a
 * grant for the next vessel, publishes it retained on the grants topic with an MQTT 5 expiry at
 * the window's end, and schedules what happens at the berth, in turn:
 *   1. the granted vessel comes alongside: `arrived` (AIS and radar agree), then `departed`;
 *   2. another vessel, with no grant, takes the berth: a `no-grant` refusal, and the granted
 *      one's `no-show` when the window ends;
 *   3. the granted vessel's AIS claims the berth but no hull is there (a spoofed transponder):
 *      a `not-credible` refusal flagged `no-physical-evidence`, and a `no-show`.
 * The agent receives the grant over MQTT like any other, so the whole inbound path is real.
 */
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/log.ts';
import type { Authority } from '../authority/authority-dir.ts';
import { issueGrant } from '../authority/grant.ts';
import { issuerOf } from '../authority/credential.ts';
import { grantTopic } from '../transport/topics.ts';
import type { BerthScript } from './simulated-berth.ts';

export interface GrantPublisher {
  publishRaw(topic: string, payload: Uint8Array, opts: { retain?: boolean; expirySec?: number; contentType?: string }): Promise<void>;
}

export class ReservationCycle {
  private timer: NodeJS.Timeout | undefined;
  private n = 0;

  constructor(
    private readonly authority: Authority,
    private readonly place: string,
    private readonly script: BerthScript,
    private readonly out: GrantPublisher,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly periodMs = 30_000,
  ) {}

  /** Starts the cycle; a second call (the broker reconnected) changes nothing. */
  start(): void {
    if (this.timer) return;
    const run = () => void this.once().catch((e) => this.logger.warn('could not publish the demo grant', { error: e as Error }));
    setTimeout(run, 1500);
    this.timer = setInterval(run, this.periodMs);
  }

  async once(): Promise<void> {
    const now = this.clock.now();
    const mmsi = 211331640 + (this.n % 5);
    const reservation = `R${Math.floor(now / 1000)}-${++this.n}`;
    const window: [number, number] = [now + 2000, now + 20_000];
    const bytes = await issueGrant(
      { issuer: issuerOf(this.authority.grantor.credential), place: this.place, reservation, unit: ['mmsi', String(mmsi)], window, toleranceM: 50, graceMs: 2000, nowMs: now },
      this.authority.grantor.signer,
      this.authority.grantor.credential,
      this.authority.grantor.parents,
    );
    await this.out.publishRaw(grantTopic(this.place, reservation), bytes, {
      retain: true,
      expirySec: Math.ceil((window[1] - now) / 1000) + 5,
      contentType: 'application/cose; cose-type="cose-sign1"',
    });
    const act = (this.n - 1) % 3;
    const visitor = act === 1 ? 244_000_000 + (this.n % 1000) : mmsi;
    this.script.schedule({ mmsi: visitor, arriveAt: window[0] + 1000, departAt: window[0] + 12_000, ...(act === 2 ? { spoof: true } : {}) });
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
