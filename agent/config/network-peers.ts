/**
 * The hosts a configured agent talks to over IP (the MQTT broker, a remote gpsd, serial ports
 * reached over TCP), and from them the systemd drop-in that lets the service reach exactly
 * those: the unit denies all IP traffic but loopback (IPAddressDeny=any, systemd.resource-
 * control(5)), and IPAddressAllow= takes addresses, not names, so names are resolved when the
 * drop-in is written and the resolvers in resolv.conf are allowed too (the agent resolves the
 * name again each time it connects).
 */
import { isIP } from 'node:net';
import type { AgentConfig } from './schema.ts';

export interface NetworkPeer {
  host: string;
  /** What the agent reaches there, for the comment in the drop-in. */
  role: string;
}

export function networkPeers(cfg: AgentConfig): NetworkPeer[] {
  const peers: NetworkPeer[] = [{ host: bareHost(new URL(cfg.mqtt.url).hostname), role: 'MQTT broker' }];
  for (const s of cfg.sources) {
    if (s.type === 'gpsd') peers.push({ host: s.host, role: `gpsd (source ${s.id})` });
    else if ('port' in s && typeof s.port === 'string' && s.port.startsWith('tcp://')) peers.push({ host: bareHost(new URL(s.port).hostname), role: `serial over TCP (source ${s.id})` });
  }
  return peers;
}

/** URL hostnames keep IPv6 literals in brackets. */
function bareHost(h: string): string {
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** Nameserver addresses in resolv.conf(5) text. */
export function nameservers(resolvConf: string): string[] {
  const out: string[] = [];
  for (const line of resolvConf.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m && isIP(m[1]!.replace(/%.*$/, ''))) out.push(m[1]!.replace(/%.*$/, ''));
  }
  return out;
}

/**
 * The drop-in text. `resolve` gives a name's addresses (dns.lookup with all: true in the
 * CLI); loopback needs no entry (the unit allows localhost).
 */
export async function ipAllowDropIn(cfg: AgentConfig, resolve: (host: string) => Promise<string[]>, resolvConf: string): Promise<string> {
  const lines = ['# Written by `place-agent config ip-allow`: the IP peers the configuration names.', '# Write it again (and systemctl daemon-reload) whenever they change.', '[Service]'];
  const seen = new Set<string>();
  let names = false;
  for (const p of networkPeers(cfg)) {
    if (isLoopback(p.host)) continue;
    const addrs = isIP(p.host) ? [p.host] : await resolve(p.host);
    if (!isIP(p.host)) names = true;
    const fresh = addrs.filter((a) => !isLoopback(a) && !seen.has(a));
    if (!fresh.length) continue;
    for (const a of fresh) seen.add(a);
    lines.push(`# ${p.role}: ${p.host}`, `IPAddressAllow=${fresh.join(' ')}`);
  }
  if (names) {
    const ns = nameservers(resolvConf).filter((a) => !isLoopback(a) && !seen.has(a));
    if (ns.length) lines.push('# DNS resolvers from /etc/resolv.conf, to look the names above up again', `IPAddressAllow=${ns.join(' ')}`);
  }
  return lines.join('\n') + '\n';
}
