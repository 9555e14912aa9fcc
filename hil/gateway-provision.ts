/**
 * A gateway provisioned as an installer does it, through the real commands: `keys init`, an
 * authority, the device's public key handed over (`keys show --public-out`) and a credential
 * issued for it, scoped to one place. Used by the place tests and the place demos.
 */
import { join } from 'node:path';
import { stringify } from 'yaml';
import { BIN_ARGS, runAgent } from './agent-cli.ts';

/** The YAML lines every provisioned gateway's config starts with (see provisionGateway). */
export function gatewayConfigHead(place: string, state: string, auth: string, brokerUrl: string): string[] {
  return [
    `place: ${place}`,
    `stateDir: ${state}`,
    'credential:',
    `  parents: [${join(auth, 'root.cred')}]`,
    `trustAnchors: [${join(auth, 'anchor.cose')}]`,
    'mqtt:',
    `  url: ${brokerUrl}`,
  ];
}

/**
 * A provisioned gateway's whole configuration: the common head, metrics off unless `body` says
 * otherwise, then `body` (envelope, presence, sources, ...) as YAML.
 */
export function gatewayConfig(place: string, state: string, auth: string, brokerUrl: string, body: Record<string, unknown>): string {
  return `${gatewayConfigHead(place, state, auth, brokerUrl).join('\n')}\n${stringify({ metrics: { enabled: false }, ...body })}`;
}

async function step(args: string[], bin: string[]): Promise<string> {
  const r = await runAgent(args, undefined, bin);
  if (r.code !== 0) throw new Error(`place-agent ${args.slice(0, 2).join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * `keys init`, an authority, and a device credential for that key scoped to `place`; `bin` starts
 * the CLI (its sources unless given: the startup benchmark provisions with the compiled one).
 */
export async function provisionGateway(state: string, auth: string, authorityName: string, place: string, bin: string[] = BIN_ARGS): Promise<void> {
  await step(['keys', 'init', '--state', state], bin);
  await step(['authority', 'init', '--dir', auth, '--name', authorityName], bin);
  const iss = (JSON.parse(await step(['keys', 'show', '--state', state, '--json', '--public-out', join(state, 'device.pub')], bin)) as { issuer: string }).issuer;
  await step(['authority', 'issue', '--dir', auth, '--subject', iss, '--key', join(state, 'device.pub'), '--places', place, '--out', join(state, 'device.cred')], bin);
}
