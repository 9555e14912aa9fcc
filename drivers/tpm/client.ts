/**
 * The TPM client: one command in flight at a time (a FIFO queue), a timeout per command,
 * and one retry after reconnecting when that is safe: the command's bytes never left, or
 * the command is idempotent (reads, Sign). A TPM that lost its state (TPM_RC_INITIALIZE,
 * Part 3 §9.3: commands before TPM2_Startup) gets TPM2_Startup(CLEAR) and the command again.
 * Warnings the spec says to retry (TPM_RC_RETRY, YIELDED, TESTING) are retried a few times.
 */
import type { Logger } from '../../core/log.ts';
import { silentLogger } from '../../core/log.ts';
import { CC, SU_CLEAR } from './constants.ts';
import { buildCommand, commandName, parseResponse, prepareCommand, responseCode, type CommandSpec, type ParsedResponse } from './command.ts';
import { isHmacAuth } from './session.ts';
import { TpmWriter } from './marshal.ts';
import { RC } from './response-code.ts';
import { TpmError } from './tpm-error.ts';
import type { TpmTransport } from './transport.ts';
import { SocketTransport } from './socket-transport.ts';
import { DeviceTransport } from './device-transport.ts';
import { parseTcti } from './tcti.ts';

export interface TpmClientOptions {
  /** Per-command timeout; real TPMs take seconds for an ECC CreatePrimary. Default 30 s. */
  timeoutMs?: number;
  logger?: Logger;
}

export interface ExecOptions {
  /** Safe to send twice (no TPM state changes that matter): reads, Sign, GetRandom. */
  idempotent: boolean;
  /** How many handles the response carries before its parameters. */
  responseHandles?: number;
}

export interface TpmClientStats {
  commands: number;
  reconnects: number;
  startups: number;
}

const TRANSPORT_CODES = new Set(['TPM_TIMEOUT', 'TPM_TRANSPORT_CLOSED', 'TPM_TRANSPORT']);
const RETRY_WARNINGS = new Set<number>([RC.RETRY, RC.YIELDED, RC.TESTING]);

export class TpmClient {
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly timeoutMs: number;
  private readonly log: Logger;
  readonly stats: TpmClientStats = { commands: 0, reconnects: 0, startups: 0 };

  constructor(readonly transport: TpmTransport, opts: TpmClientOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.log = (opts.logger ?? silentLogger).child('tpm');
  }

  static fromTcti(tcti: string, opts: TpmClientOptions = {}): TpmClient {
    const c = parseTcti(tcti);
    const t = c.kind === 'swtpm' ? new SocketTransport({ host: c.host, port: c.port }) : new DeviceTransport(c.path);
    return new TpmClient(t, opts);
  }

  /**
   * Changes whenever the client may be talking to a TPM that restarted since: a new
   * connection was opened, or the TPM asked for TPM2_Startup.
   */
  connectionEpoch(): number {
    return (this.transport.connections ?? 0) + this.stats.reconnects + this.stats.startups;
  }

  /** Queues a command and resolves with its parsed successful response. */
  execute(spec: CommandSpec, opts: ExecOptions): Promise<ParsedResponse> {
    const run = this.tail.then(
      () => this.run(spec, opts),
      () => this.run(spec, opts),
    );
    this.tail = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail;
    await this.transport.close();
  }

  private async run(spec: CommandSpec, opts: ExecOptions): Promise<ParsedResponse> {
    if (this.closed) throw new TpmError('TPM_TRANSPORT_CLOSED', `${commandName(spec.cc)}: client closed`, { sent: false });
    // Built inside the queue: an HMAC session's nonces must follow the order commands reach the TPM.
    const prepared = prepareCommand(spec);
    const bytes = prepared.bytes;
    try {
      let resp = await this.transmitWithRetry(bytes, spec.cc, opts.idempotent);
      let rc = responseCode(resp);
      if (rc === RC.INITIALIZE && spec.cc !== CC.Startup) {
        this.log.warn('TPM needs TPM2_Startup (restarted?); sending Startup(CLEAR)', { command: commandName(spec.cc) });
        await this.startup();
        resp = await this.transmitWithRetry(bytes, spec.cc, opts.idempotent);
        rc = responseCode(resp);
      }
      for (let i = 0; i < 5 && RETRY_WARNINGS.has(rc); i++) {
        await new Promise((r) => setTimeout(r, 20 * (i + 1)));
        resp = await this.transmitWithRetry(bytes, spec.cc, opts.idempotent);
        rc = responseCode(resp);
      }
      return parseResponse(resp, spec, opts.responseHandles ?? 0, prepared);
    } catch (e) {
      // A command whose response was lost may have rolled the session nonces: the session's owner starts a new one.
      if (e instanceof TpmError && TRANSPORT_CODES.has(e.code)) {
        for (const a of spec.auths ?? []) if (!(a instanceof Uint8Array)) (isHmacAuth(a) ? a.session : a.policy).stale = true;
      }
      throw e;
    }
  }

  private async startup(): Promise<void> {
    this.stats.startups++;
    // Part 3 §9.3 TPM2_Startup; TPM_RC_INITIALIZE back means already started, which is fine.
    const resp = await this.transmitWithRetry(buildCommand({ cc: CC.Startup, params: new TpmWriter().u16(SU_CLEAR).finish() }), CC.Startup, false);
    const rc = responseCode(resp);
    if (rc !== 0 && rc !== RC.INITIALIZE) throw TpmError.fromRc(rc, 'TPM2_Startup');
  }

  private async transmitWithRetry(bytes: Uint8Array, cc: number, idempotent: boolean): Promise<Uint8Array> {
    this.stats.commands++;
    try {
      return await this.transport.transmit(bytes, this.timeoutMs);
    } catch (e) {
      if (!(e instanceof TpmError) || !TRANSPORT_CODES.has(e.code) || this.closed) throw e;
      if (e.sent && !idempotent) {
        this.log.error('TPM connection lost after a non-idempotent command was sent; not retrying', { command: commandName(cc), code: e.code });
        await this.transport.reset();
        throw e;
      }
      this.stats.reconnects++;
      this.log.warn('TPM connection lost; reconnecting and retrying once', { command: commandName(cc), code: e.code, sent: e.sent });
      await this.transport.reset();
      return await this.transport.transmit(bytes, this.timeoutMs);
    }
  }
}
