/**
 * A place demo runs the shipped example configuration (agent/config/examples/<place>.yaml)
 * with only what ties it to a real machine replaced, each replacement listed for the banner:
 * state and authority in the demo's directory, the simulated devices' ptys for /dev paths, the
 * demo's broker on loopback, a software key where the example names a TPM, an ephemeral metrics
 * port, and a short presence hold so a departure shows within seconds. Place, dimensions,
 * rules, sources and their timings stay the example's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { gatewayConfigHead } from '../gateway-provision.ts';

export const PLACES = ['berth', 'charger', 'dock'] as const;
export type PlaceName = (typeof PLACES)[number];

export const exampleConfigPath = (place: PlaceName): string => join(import.meta.dirname, '..', '..', 'agent', 'config', 'examples', `${place}.yaml`);

type Yaml = Record<string, unknown>;
type SourceYaml = { id: string; type: string; port?: unknown; host?: string };

/** The example's parsed YAML. */
export function readExample(place: PlaceName): Yaml {
  return parse(readFileSync(exampleConfigPath(place), 'utf8')) as Yaml;
}

export interface DemoConfigInput {
  example: Yaml;
  state: string;
  auth: string;
  brokerUrl: string;
  metricsPort: number;
  ports: Record<string, string>;
  gpsdPort?: number;
  holdSeconds: number;
}

export function demoConfig(i: DemoConfigInput): { yaml: string; changes: string[] } {
  const cfg = structuredClone(i.example);
  const changes: string[] = [];
  const head = parse(gatewayConfigHead(String(cfg.place), i.state, i.auth, i.brokerUrl).join('\n')) as Yaml;
  cfg.stateDir = head.stateDir;
  cfg.credential = head.credential;
  cfg.trustAnchors = head.trustAnchors;
  changes.push(`stateDir, credential and trust anchor: the demo's (${i.state}, a development authority in ${i.auth})`);
  const signer = cfg.signer as { kind?: string } | undefined;
  if (signer?.kind === 'tpm') changes.push('signer: a software key (the example names a TPM; run place-agent keys init --tpm on a gateway that has one)');
  cfg.signer = { kind: 'software' };
  const mqtt = (cfg.mqtt ?? {}) as Yaml;
  cfg.mqtt = { ...(head.mqtt as Yaml), ...(mqtt.clientId ? { clientId: mqtt.clientId } : {}), ...(mqtt.protocolVersion ? { protocolVersion: mqtt.protocolVersion } : {}) };
  changes.push(`mqtt.url: ${i.brokerUrl}, the demo's mosquitto (login and TLS files dropped)`);
  const store = cfg.store as Yaml | undefined;
  if (store) delete store.path;
  const metrics = (cfg.metrics ?? {}) as { enabled?: boolean };
  if (metrics.enabled !== false) {
    cfg.metrics = { listen: `127.0.0.1:${i.metricsPort}`, enabled: true };
    changes.push(`metrics.listen: 127.0.0.1:${i.metricsPort}`);
  }
  for (const s of (cfg.sources ?? []) as SourceYaml[]) {
    if (s.type === 'gpsd') {
      if (i.gpsdPort === undefined) throw new Error(`source ${s.id} reads gpsd, but the scene runs none`);
      s.host = '127.0.0.1';
      s.port = i.gpsdPort;
      changes.push(`sources.${s.id}: the demo's gpsd on 127.0.0.1:${i.gpsdPort}`);
      continue;
    }
    const pty = i.ports[s.id];
    if (!pty) throw new Error(`source ${s.id} (${s.type}) has no simulated device in this scene`);
    changes.push(`sources.${s.id}.port: ${pty} (was ${String(s.port)})`);
    s.port = pty;
  }
  const presence = (cfg.presence ?? {}) as Yaml;
  changes.push(`presence.holdSeconds: ${i.holdSeconds} (was ${String(presence.holdSeconds ?? 60)}), so a departure shows within seconds`);
  cfg.presence = { ...presence, holdSeconds: i.holdSeconds };
  return { yaml: `# The shipped example rewritten by the place demo (hil/demo/) for simulated devices; the demo's banner lists each change.\n${stringify(cfg)}`, changes };
}
