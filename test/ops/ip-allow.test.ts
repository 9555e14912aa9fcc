/**
 * The unit's IP filter opened for exactly the peers a configuration names
 * (agent/config/network-peers.ts, `place-agent config ip-allow`): the drop-in lists the
 * broker's, a remote gpsd's and a serial-over-TCP host's addresses, resolves names (and then
 * allows the resolvers), leaves loopback to the unit, and systemd accepts it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig } from '../../agent/config/load.ts';
import { ipAllowDropIn, nameservers } from '../../agent/config/network-peers.ts';
import { installedRoot } from './installed-root.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const PLACE = 'urn:place:DEHAM:berth:42';
const RESOLV = '# generated\nnameserver 10.0.0.53\nnameserver 127.0.0.53\nnameserver fe80::1%eth0\noptions edns0\n';
const dns: Record<string, string[]> = { 'broker.port.example': ['203.0.113.7', '2001:db8::7'], 'gps.port.example': ['203.0.113.9'] };
const resolve = async (h: string): Promise<string[]> => {
  const a = dns[h];
  if (!a) throw new Error(`no such host ${h}`);
  return a;
};

describe('place-agent config ip-allow', () => {
  it('allows the broker, a remote gpsd and a serial-over-TCP host, with the resolvers when names are involved', async () => {
    const cfg = validateConfig({
      place: PLACE,
      mqtt: { url: 'mqtts://broker.port.example:8883' },
      sources: [
        { id: 'gps', type: 'gpsd', host: 'gps.port.example' },
        { id: 'local', type: 'gpsd' },
        { id: 'ais', type: 'ais-serial', port: 'tcp://192.0.2.44:4001' },
        { id: 'rfid', type: 'rfid-uhf', port: '/dev/place/rfid' },
      ],
    });
    const text = await ipAllowDropIn(cfg, resolve, RESOLV);
    expect(text.split('\n').filter((l) => l.startsWith('IPAddressAllow='))).toEqual([
      'IPAddressAllow=203.0.113.7 2001:db8::7',
      'IPAddressAllow=203.0.113.9',
      'IPAddressAllow=192.0.2.44',
      'IPAddressAllow=10.0.0.53 fe80::1',
    ]);
    expect(text).toMatch(/^\[Service\]$/m);
  });

  it('needs no entry for a broker on loopback or an IP literal beyond itself, and no resolvers without names', async () => {
    const local = validateConfig({ place: PLACE, mqtt: { url: 'mqtt://127.0.0.1:1883' } });
    expect((await ipAllowDropIn(local, resolve, RESOLV)).split('\n').filter((l) => l.startsWith('IPAddressAllow='))).toEqual([]);
    const v6 = validateConfig({ place: PLACE, mqtt: { url: 'mqtts://[2001:db8::1]:8883' } });
    expect((await ipAllowDropIn(v6, resolve, RESOLV)).split('\n').filter((l) => l.startsWith('IPAddressAllow='))).toEqual(['IPAddressAllow=2001:db8::1']);
  });

  it('reads nameservers from resolv.conf, dropping zone ids and anything that is not an address', () => {
    expect(nameservers(RESOLV + 'nameserver not-an-ip\n')).toEqual(['10.0.0.53', '127.0.0.53', 'fe80::1']);
  });

  it('writes a drop-in systemd-analyze verify accepts next to the installed unit', async () => {
    const root = installedRoot(dirs);
    const cfg = validateConfig({ place: PLACE, mqtt: { url: 'mqtts://broker.port.example:8883' } });
    const dropDir = join(root, 'etc/systemd/system/place-agent.service.d');
    mkdirSync(dropDir, { recursive: true });
    writeFileSync(join(dropDir, 'ip-allow.conf'), await ipAllowDropIn(cfg, resolve, RESOLV));
    const v = spawnSync('systemd-analyze', ['verify', `--root=${root}`, '--man=no', 'place-agent.service'], { encoding: 'utf8' });
    expect(v.stderr + v.stdout).toBe('');
    expect(v.status).toBe(0);
    const shown = spawnSync('systemd-analyze', ['cat-config', `--root=${root}`, 'systemd/system/place-agent.service.d/ip-allow.conf'], { encoding: 'utf8' });
    expect(shown.stdout).toContain('IPAddressAllow=203.0.113.7 2001:db8::7');
  });
});
