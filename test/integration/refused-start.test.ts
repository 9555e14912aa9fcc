/**
 * A refused start leaves the state directory byte for byte as it was (no empty agent.db beside
 * the key): the start-up self-check refusing a credential that does not chain to the configured
 * anchor (CONFIG_CREDENTIAL_MISMATCH, exit 2), and the embedded demo pointed at a gateway's state
 * directory (`npm start -- --state /var/lib/place-agent`), which would replace the gateway's
 * credential with one from a development authority (DEMO_STATE_FOREIGN).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAgent } from './agent-process.ts';
import { gatewayConfigHead, provisionGateway } from '../support/place-gateway.ts';
import { freePort } from '../../hil/ports.ts';

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const p = join(dir, name);
    out[name] = statSync(p).isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex') : 'dir';
  }
  return out;
}

describe('a refused start', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pa-demo-state-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('by the self-check (a credential from another authority than the configured anchor) changes nothing', async () => {
    const state = join(dir, 'gw');
    await provisionGateway(state, join(dir, 'gw-authority'), 'urn:place-authority:port', 'urn:place:DEHAM:berth:42');
    const other = join(dir, 'other-authority');
    expect((await runAgent(['authority', 'init', '--dir', other, '--name', 'urn:place-authority:other'])).code).toBe(0);
    const cfg = join(dir, 'gw.yaml');
    const head = gatewayConfigHead('urn:place:DEHAM:berth:42', state, join(dir, 'gw-authority'), 'mqtt://127.0.0.1:1').map((l) => l.replace(join(dir, 'gw-authority', 'anchor.cose'), join(other, 'anchor.cose')));
    writeFileSync(cfg, [...head, 'metrics:', '  enabled: false'].join('\n') + '\n');
    const before = snapshot(state);
    const r = await runAgent(['run', '--config', cfg]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^place-agent: CONFIG_CREDENTIAL_MISMATCH: .*trust anchor/m);
    expect(snapshot(state)).toEqual(before);
  }, 300_000);

  it('of the demo on a gateway state directory (DEMO_STATE_FOREIGN) changes nothing', async () => {
    const state = join(dir, 'state');
    await provisionGateway(state, join(dir, 'authority'), 'urn:place-authority:port', 'urn:place:DEHAM:berth:42');
    const before = snapshot(state);
    const r = await runAgent(['run', '--embedded', '--state', state, '--port', String(await freePort()), '--metrics', 'off', '--quiet']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^place-agent: DEMO_STATE_FOREIGN: .*--state/m);
    expect(snapshot(state)).toEqual(before);
  }, 300_000);
});
