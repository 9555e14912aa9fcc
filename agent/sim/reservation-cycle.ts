/**
 * The embedded demo's reservation cycle (about every 30 s): the development authority signs a
 * grant for the next vessel, publishes it retained on the grants topic with an MQTT 5 expiry at
 * the window's end, and schedules the simulated vessel to arrive inside the window and leave.
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

  start(): void {
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
    this.script.schedule({ mmsi, arriveAt: window[0] + 1000, departAt: window[0] + 12_000 });
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
