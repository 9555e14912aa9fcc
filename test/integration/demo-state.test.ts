/**
 * The embedded demo pointed at a gateway's state directory (`npm start -- --state
 * /var/lib/place-agent`) would replace the gateway's credential with one from a development
 * authority; it is refused (DEMO_STATE_FOREIGN) and the directory is left byte for byte as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAgent } from './agent-process.ts';
import { provisionGateway } from '../support/place-gateway.ts';
import { freePort } from '../../hil/ports.ts';

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const p = join(dir, name);
    out[name] = statSync(p).isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex') : 'dir';
  }
  return out;
}

describe('the demo on a gateway state directory', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pa-demo-state-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is refused with DEMO_STATE_FOREIGN and changes nothing', async () => {
    const state = join(dir, 'state');
    await provisionGateway(state, join(dir, 'authority'), 'urn:place-authority:port', 'urn:place:DEHAM:berth:42');
    const before = snapshot(state);
    const r = await runAgent(['run', '--embedded', '--state', state, '--port', String(await freePort()), '--metrics', 'off', '--quiet']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^place-agent: DEMO_STATE_FOREIGN: .*--state/m);
    expect(snapshot(state)).toEqual(before);
  }, 120_000);
});
