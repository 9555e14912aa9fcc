/**
 * sd_notify(3) client: tells the service manager the agent is READY, what it is doing
 * (STATUS=), that it is alive (WATCHDOG=1) and that it is STOPPING.
 *
 * Node has no AF_UNIX SOCK_DGRAM socket, so the datagrams go through a `NotifyTransport`.
 * The default one writes to a descriptor inherited from `notify-exec.pl`, which connected
 * it to $NOTIFY_SOCKET and exec()ed Node in place: write(2) on a connected datagram socket
 * sends one datagram whose credentials carry Node's PID, the unit's main PID, as
 * NotifyAccess=main requires. A native addon could replace it behind the same interface.
 */
import { write as fsWrite, closeSync, fstatSync } from 'node:fs';
import type { Logger } from '../../core/log.ts';
import { silentLogger } from '../../core/log.ts';

/** Sends one notification datagram. */
export interface NotifyTransport {
  /** A short name for logs ("fd:3", "memory", "none"). */
  readonly name: string;
  send(message: string): Promise<void>;
  close(): void;
}

/** Environment variable naming the inherited notify descriptor (set by notify-exec.pl). */
export const NOTIFY_FD_ENV = 'PLACE_AGENT_NOTIFY_FD';

/** Writes datagrams to a unix datagram socket descriptor already connected to the manager. */
export class InheritedFdTransport implements NotifyTransport {
  readonly name: string;
  private closed = false;

  constructor(private readonly fd: number) {
    this.name = `fd:${fd}`;
  }

  send(message: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    const bytes = Buffer.from(message, 'utf8');
    // fs.write runs on the libuv thread pool, so a manager that is slow to read its socket
    // never blocks the event loop.
    return new Promise((resolve, reject) => {
      fsWrite(this.fd, bytes, 0, bytes.length, null, (err, written) => {
        if (err) reject(err);
        else if (written !== bytes.length) reject(new Error(`short notify write: ${written} of ${bytes.length}`));
        else resolve();
      });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      closeSync(this.fd);
    } catch {
      // already closed by the process: nothing left to release
    }
  }
}

/** Used when not running under a service manager: every notification is dropped. */
export const noTransport: NotifyTransport = {
  name: 'none',
  send: () => Promise.resolve(),
  close() {},
};

/** Keeps every message; for tests and for `status` to show what was last announced. */
export class MemoryTransport implements NotifyTransport {
  readonly name = 'memory';
  readonly messages: string[] = [];
  send(message: string): Promise<void> {
    this.messages.push(message);
    return Promise.resolve();
  }
  close(): void {}
}

export interface NotifyEnvironment {
  NOTIFY_SOCKET?: string | undefined;
  PLACE_AGENT_NOTIFY_FD?: string | undefined;
  WATCHDOG_USEC?: string | undefined;
  WATCHDOG_PID?: string | undefined;
}

/**
 * Picks the transport for this process: the inherited descriptor when notify-exec.pl
 * provided one; nothing when $NOTIFY_SOCKET is unset (not under systemd). With
 * $NOTIFY_SOCKET set but no descriptor, the agent was started without the wrapper; it
 * logs that once and runs without notifications (systemd then times the start out, which
 * is the visible symptom the log line explains).
 */
export function createNotifyTransport(env: NotifyEnvironment = process.env, log: Logger = silentLogger): NotifyTransport {
  const socket = env.NOTIFY_SOCKET;
  if (!socket) return noTransport;
  const fdText = env.PLACE_AGENT_NOTIFY_FD;
  if (fdText !== undefined && /^\d+$/.test(fdText)) {
    const fd = Number(fdText);
    try {
      if (fstatSync(fd).isSocket()) return new InheritedFdTransport(fd);
      log.warn('notify descriptor is not a socket', { fd });
    } catch (e) {
      log.warn('notify descriptor is not open', { fd, error: e });
    }
  } else {
    log.warn('NOTIFY_SOCKET is set but no notify descriptor was inherited; start the agent through /usr/bin/place-agent', {
      notifySocket: socket,
    });
  }
  return noTransport;
}

/**
 * The watchdog interval systemd expects, in ms, or undefined when it expects none
 * (sd_watchdog_enabled(3): WATCHDOG_USEC, and WATCHDOG_PID when set must be ours).
 */
export function watchdogTimeoutMs(env: NotifyEnvironment = process.env, pid: number = process.pid): number | undefined {
  const usec = env.WATCHDOG_USEC;
  if (!usec || !/^\d+$/.test(usec)) return undefined;
  if (env.WATCHDOG_PID && env.WATCHDOG_PID !== String(pid)) return undefined;
  const ms = Number(usec) / 1000;
  return ms > 0 ? ms : undefined;
}

/** One line for STATUS=: the protocol is newline-separated assignments, so no newline inside. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 400);
}

/** The agent's side of sd_notify(3). Failures are logged, never thrown: notification is advisory. */
export class SdNotifier {
  private lastStatus: string | undefined;

  constructor(
    private readonly transport: NotifyTransport,
    private readonly log: Logger = silentLogger,
  ) {}

  get enabled(): boolean {
    return this.transport !== noTransport;
  }

  /** The last STATUS= text sent. */
  get status(): string | undefined {
    return this.lastStatus;
  }

  ready(status?: string): Promise<void> {
    if (status !== undefined) this.lastStatus = oneLine(status);
    return this.send(status === undefined ? 'READY=1' : `READY=1\nSTATUS=${oneLine(status)}`);
  }

  setStatus(status: string): Promise<void> {
    const line = oneLine(status);
    if (line === this.lastStatus) return Promise.resolve();
    this.lastStatus = line;
    return this.send(`STATUS=${line}`);
  }

  watchdog(): Promise<void> {
    return this.send('WATCHDOG=1');
  }

  /** Tells the manager something is wrong now rather than at the next missed ping. */
  watchdogTrigger(): Promise<void> {
    return this.send('WATCHDOG=trigger');
  }

  stopping(status?: string): Promise<void> {
    if (status !== undefined) this.lastStatus = oneLine(status);
    return this.send(status === undefined ? 'STOPPING=1' : `STOPPING=1\nSTATUS=${oneLine(status)}`);
  }

  /** Asks for more time during a long start or stop (EXTEND_TIMEOUT_USEC, systemd 236+). */
  extendTimeout(ms: number): Promise<void> {
    return this.send(`EXTEND_TIMEOUT_USEC=${Math.ceil(ms * 1000)}`);
  }

  close(): void {
    this.transport.close();
  }

  private async send(message: string): Promise<void> {
    try {
      await this.transport.send(message);
    } catch (e) {
      this.log.warn('sd_notify failed', { transport: this.transport.name, message: message.split('\n')[0], error: e });
    }
  }
}
