/**
 * How the agent proves itself to the broker and checks the broker: an MQTT username and a
 * password read from a file, and for an mqtts:// URL the CA that must have signed the broker's
 * certificate and, optionally, a client certificate and key (mutual TLS). Read once at start,
 * by the composition root; the publisher (in its worker thread) receives the contents.
 *
 * A password file or client key that group or others can open is refused: anyone who can read
 * it can publish as this gateway (grants included), which is what the broker's login exists
 * to prevent.
 */
import { readFileSync, statSync } from 'node:fs';
import { CodedError } from '../../core/coded-error.ts';

export const BrokerConfigCodes = {
  /** A secret (password file, client key) readable or writable by group or others. */
  SECRET_FILE_MODE: 'MQTT_SECRET_FILE_MODE',
  /** A configured file is missing or unreadable. */
  FILE_UNREADABLE: 'MQTT_FILE_UNREADABLE',
  /** Settings that do not fit together (a client certificate without its key, TLS files for a plain URL, ...). */
  TLS_SETTINGS: 'MQTT_TLS_SETTINGS',
} as const;
export type BrokerConfigCode = (typeof BrokerConfigCodes)[keyof typeof BrokerConfigCodes];

export class BrokerConfigError extends CodedError<BrokerConfigCode> {}

export interface BrokerSettings {
  url: string;
  username?: string | undefined;
  passwordFile?: string | undefined;
  caFile?: string | undefined;
  certFile?: string | undefined;
  keyFile?: string | undefined;
}

/** What the MQTT client is given (contents, not paths: the worker thread does not re-read files). */
export interface BrokerCredentials {
  username?: string;
  password?: string;
  /** PEM: the CA certificates the broker's certificate must chain to. */
  ca?: string;
  /** PEM client certificate and its private key (mutual TLS). */
  cert?: string;
  key?: string;
}

function readChecked(path: string, what: string, secret: boolean): string {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (e) {
    throw new BrokerConfigError(BrokerConfigCodes.FILE_UNREADABLE, `mqtt ${what} ${path} cannot be opened`, { path }, { cause: e });
  }
  if (secret && mode & 0o077) {
    const octal = (mode & 0o777).toString(8);
    throw new BrokerConfigError(BrokerConfigCodes.SECRET_FILE_MODE, `mqtt ${what} ${path} is accessible by group or others (mode ${octal}); run chmod 600 ${path}`, { path, mode: octal });
  }
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new BrokerConfigError(BrokerConfigCodes.FILE_UNREADABLE, `mqtt ${what} ${path} cannot be read`, { path }, { cause: e });
  }
}

export function loadBrokerCredentials(s: BrokerSettings): BrokerCredentials {
  const tls = /^(mqtts|tls):/.test(s.url);
  if (!tls && (s.caFile || s.certFile || s.keyFile)) {
    throw new BrokerConfigError(BrokerConfigCodes.TLS_SETTINGS, `mqtt.caFile, certFile and keyFile need an mqtts:// URL (got ${s.url}): over plain TCP they would not be used`, { url: s.url });
  }
  if (Boolean(s.certFile) !== Boolean(s.keyFile)) {
    throw new BrokerConfigError(BrokerConfigCodes.TLS_SETTINGS, 'mqtt.certFile and mqtt.keyFile go together: a client certificate is useless without its key and the reverse');
  }
  if (s.passwordFile && !s.username) {
    throw new BrokerConfigError(BrokerConfigCodes.TLS_SETTINGS, 'mqtt.passwordFile needs mqtt.username (MQTT 3.1.1 §3.1.2.9 sends no password without a user name)');
  }
  const c: BrokerCredentials = {};
  if (s.username) c.username = s.username;
  // One trailing newline is how `echo secret > file` writes it; it is not part of the password.
  if (s.passwordFile) c.password = readChecked(s.passwordFile, 'password file', true).replace(/\r?\n$/, '');
  if (s.caFile) c.ca = readChecked(s.caFile, 'CA file', false);
  if (s.certFile) c.cert = readChecked(s.certFile, 'client certificate', false);
  if (s.keyFile) c.key = readChecked(s.keyFile, 'client key', true);
  return c;
}
