/**
 * One TpmClient per TCTI in this process, reference-counted: swtpm's data socket serves one
 * connection at a time and a raw /dev/tpm0 only one opener, so the signer, the epoch
 * counter and enrolment share a connection (and its command queue) instead of competing.
 */
import type { Logger } from '../../core/log.ts';
import { TpmClient } from './client.ts';

interface Entry {
  client: TpmClient;
  refs: number;
}

const clients = new Map<string, Entry>();

export interface TpmClientLease {
  client: TpmClient;
  release(): Promise<void>;
}

export function acquireTpmClient(tcti: string, opts: { logger?: Logger; timeoutMs?: number } = {}): TpmClientLease {
  const key = tcti.trim();
  let e = clients.get(key);
  if (!e) {
    e = { client: TpmClient.fromTcti(key, opts), refs: 0 };
    clients.set(key, e);
  }
  e.refs++;
  const entry = e;
  let released = false;
  return {
    client: entry.client,
    release: async () => {
      if (released) return;
      released = true;
      entry.refs--;
      if (entry.refs === 0) {
        if (clients.get(key) === entry) clients.delete(key);
        await entry.client.close();
      }
    },
  };
}
