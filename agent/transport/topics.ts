/** MQTT topics of the wire contract (DESIGN.md, "MQTT"): `pm/v1/<place>/<kind>`. */

export const COSE_CONTENT_TYPE = 'application/cose; cose-type="cose-sign1"';

export const observationTopic = (place: string, kind: string): string => `pm/v1/${place}/${kind}`;
export const statusTopic = (place: string): string => `pm/v1/${place}/status`;
export const grantTopic = (place: string, reservation: string): string => `pm/v1/${place}/grants/${reservation}`;
export const grantFilter = (place: string): string => `pm/v1/${place}/grants/+`;
/** DESIGN.md, "Acceptance": a unit's acceptance of the grant for `reservation`. */
export const acceptTopic = (place: string, reservation: string): string => `pm/v1/${place}/accept/${reservation}`;
export const acceptFilter = (place: string): string => `pm/v1/${place}/accept/+`;
/** DESIGN.md, "Revocation list": an issuer's latest list, retained, under its key id (RFC 9679 thumbprint) in hex. */
export const revocationTopic = (issuerKidHex: string): string => `pm/v1/authority/${issuerKidHex}/revocations`;

/** MQTT topic filter matching (MQTT 5.0 §4.7: `+` one level, `#` the rest). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
