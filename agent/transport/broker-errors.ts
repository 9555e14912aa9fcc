/**
 * Why a broker connection failed, as a stable code an operator can act on. mqtt.js reports
 * refused logins with the CONNACK reason code (MQTT 5.0 §3.2.2.2) or return code (MQTT 3.1.1
 * §3.2.2.3) as a number, and TLS failures with Node's/OpenSSL's string codes.
 */
export const BrokerErrorCodes = {
  /** Wrong user name or password, or the broker does not allow this client. */
  AUTH_REJECTED: 'MQTT_AUTH_REJECTED',
  /** The broker's certificate does not chain to the configured CA. */
  TLS_UNTRUSTED: 'MQTT_TLS_UNTRUSTED',
  /** The broker's certificate is outside its validity dates. */
  TLS_EXPIRED: 'MQTT_TLS_CERT_EXPIRED',
  /** The broker's certificate is valid but for another name than the URL's host. */
  TLS_NAME_MISMATCH: 'MQTT_TLS_NAME_MISMATCH',
  /** The broker refused our client certificate (missing, from a CA it does not know, expired, revoked): its TLS alert says which. */
  TLS_CLIENT_REJECTED: 'MQTT_TLS_CLIENT_REJECTED',
  /** Any other TLS handshake failure. */
  TLS_FAILED: 'MQTT_TLS_FAILED',
  /** Nothing listens, or the network path is down. */
  UNREACHABLE: 'MQTT_UNREACHABLE',
  CONNECTION_FAILED: 'MQTT_CONNECTION_FAILED',
} as const;
export type BrokerErrorCode = (typeof BrokerErrorCodes)[keyof typeof BrokerErrorCodes];

// MQTT 5.0 §3.2.2.2: 0x86 bad user name or password, 0x87 not authorised, 0x8C bad auth method.
// MQTT 3.1.1 §3.2.2.3: 4 bad user name or password, 5 not authorised.
const AUTH_REASONS = new Set([0x86, 0x87, 0x8c, 4, 5]);

const UNTRUSTED = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_SIGNATURE_FAILURE', 'CERT_UNTRUSTED', 'INVALID_CA']);

export function brokerErrorCode(e: unknown): BrokerErrorCode {
  const err = e as { code?: unknown; message?: string };
  const code = err?.code;
  if (typeof code === 'number') return AUTH_REASONS.has(code) ? BrokerErrorCodes.AUTH_REJECTED : BrokerErrorCodes.CONNECTION_FAILED;
  if (typeof code !== 'string') return BrokerErrorCodes.CONNECTION_FAILED;
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return BrokerErrorCodes.TLS_EXPIRED;
  if (UNTRUSTED.has(code)) return BrokerErrorCodes.TLS_UNTRUSTED;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return BrokerErrorCodes.TLS_NAME_MISMATCH;
  // Codes above come from checking the broker's certificate here; a TLS alert from the broker
  // (RFC 8446 §6.2), as OpenSSL names it, is about ours: ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED,
  // ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED, ERR_SSL_TLSV1_ALERT_UNKNOWN_CA, ...
  if (/^ERR_SSL_.*ALERT_(CERTIFICATE_EXPIRED|CERTIFICATE_REQUIRED|UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|CERTIFICATE_REVOKED|UNSUPPORTED_CERTIFICATE|ACCESS_DENIED)$/.test(code)) return BrokerErrorCodes.TLS_CLIENT_REJECTED;
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return BrokerErrorCodes.TLS_FAILED;
  if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ENOTFOUND' || code === 'ETIMEDOUT') return BrokerErrorCodes.UNREACHABLE;
  return BrokerErrorCodes.CONNECTION_FAILED;
}
