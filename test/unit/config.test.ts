/**
 * Configuration (issue 2, item 3): one schema that is type and validator; unknown keys
 * rejected; every error names the field path, the value found and what was expected; YAML
 * that does not parse is its own coded error; the shipped examples load.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfigFile, validateConfig, type ConfigIssue } from '../../agent/config/load.ts';

const dir = mkdtempSync(join(tmpdir(), 'place-agent-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PLACE = 'urn:place:DEHAM:berth:42';

function issuesOf(doc: unknown): ConfigIssue[] {
  try {
    validateConfig(doc);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).code).toBe('CONFIG_INVALID');
    return (e as ConfigError).issues;
  }
  return expect.fail('configuration was accepted');
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  return expect.fail('expected a ConfigError');
}

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('validateConfig', () => {
  it('accepts a minimal config and applies the defaults', () => {
    const c = validateConfig({ place: PLACE });
    expect(c.stateDir).toBe('/var/lib/place-agent');
    expect(c.signer.kind).toBe('software');
    expect(c.mqtt).toMatchObject({ url: 'mqtt://127.0.0.1:1883', protocolVersion: 5, publisherThread: false });
    expect(c.credential.parents).toEqual([]);
    expect(c.store.retentionDays).toBe(30);
    expect(c.lineage).toEqual({ checkpointEvery: 1000, checkpointSeconds: 300 });
    expect(c.metrics).toEqual({ listen: '127.0.0.1:9464', enabled: true });
    expect(c.log.level).toBe('info');
    expect(c.sources).toEqual([]);
  });

  it('applies the defaults of each source type', () => {
    const c = validateConfig({ place: PLACE, sources: [{ id: 'tag', type: 'rfid-em4100', port: '/dev/place/rfid' }, { id: 'gps', type: 'gpsd' }] });
    expect(c.sources[0]).toEqual({ id: 'tag', type: 'rfid-em4100', port: '/dev/place/rfid', baudRate: 9600, staleSeconds: 30, framing: 'rdm6300', holdSeconds: 5 });
    expect(c.sources[1]).toMatchObject({ host: '127.0.0.1', staleSeconds: 30 });
  });

  it('does not modify the document it was given', () => {
    const doc = { place: PLACE, sources: [{ id: 'gps', type: 'gpsd' }] };
    const before = structuredClone(doc);
    validateConfig(doc);
    expect(doc).toEqual(before);
  });

  it('rejects unknown keys at the top, nested and in a source, naming the path', () => {
    const issues = issuesOf({
      place: PLACE,
      colour: 'blue',
      mqtt: { url: 'mqtt://h:1883', qos: 2 },
      sources: [{ id: 'gps', type: 'gpsd', baud: 9600 }],
    });
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i]));
    expect(Object.keys(byPath).sort()).toEqual(['/colour', '/mqtt/qos', '/sources/0/baud']);
    expect(byPath['/mqtt/qos']).toEqual({ path: '/mqtt/qos', value: 2, expected: 'no such key' });
    expect(byPath['/colour']!.value).toBe('blue');
  });

  it('names path, value and expectation for wrong types and ranges, and lists every issue at once', () => {
    const issues = issuesOf({
      place: PLACE,
      mqtt: { protocolVersion: 6 },
      lineage: { checkpointEvery: 'often' },
      presence: { anchor: { lat: 91, lon: 9.9 } },
      sources: [{ id: 'm', type: 'modbus', port: '/dev/x', slaves: [{ unit: 300, profile: 'energy-meter' }] }],
    });
    const byPath = new Map(issues.map((i) => [i.path, i]));
    expect(byPath.get('/mqtt/protocolVersion')).toMatchObject({ value: 6 });
    expect(byPath.get('/lineage/checkpointEvery')).toMatchObject({ value: 'often', expected: expect.stringMatching(/integer/i) });
    expect(byPath.get('/presence/anchor/lat')).toMatchObject({ value: 91, expected: expect.stringContaining('90') });
    expect(byPath.get('/sources/0/slaves/0/unit')).toMatchObject({ value: 300, expected: expect.stringContaining('247') });
    for (const i of issues) expect(i.expected.length).toBeGreaterThan(0);
  });

  it('puts each issue into the error message a user sees', () => {
    const e = errorOf(() => validateConfig({ place: 'berth 42' }));
    expect(e.message).toContain('/place');
    expect(e.message).toContain('"berth 42"');
    expect(e.message).toContain('place URN');
  });

  it('reports a missing required field as missing', () => {
    const issues = issuesOf({ stateDir: '/tmp/x' });
    expect(issues.find((i) => i.path === '/place')).toMatchObject({ value: undefined });
  });

  it('rejects an unknown source type, listing the known ones', () => {
    const issues = issuesOf({ place: PLACE, sources: [{ id: 'x', type: 'lidar', port: '/dev/x' }] });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: '/sources/0/type', value: 'lidar' });
    expect(issues[0]!.expected).toContain('gpsd');
    expect(issues[0]!.expected).toContain('rfid-em4100');
  });

  it('rejects a source without id or type at its own path', () => {
    const issues = issuesOf({ place: PLACE, sources: [{ type: 'gpsd' }, 'gpsd'] });
    expect(issues.map((i) => i.path)).toEqual(expect.arrayContaining(['/sources/0/id', '/sources/1']));
  });

  it('rejects two sources with the same id, naming the second', () => {
    const issues = issuesOf({
      place: PLACE,
      sources: [
        { id: 'rs485', type: 'modbus', port: '/dev/a', slaves: [{ unit: 1, profile: 'energy-meter' }] },
        { id: 'rs485', type: 'gpsd' },
      ],
    });
    expect(issues).toEqual([{ path: '/sources/1/id', value: 'rs485', expected: 'a source id not used by another source' }]);
  });

  it.each([null, 'place: x', [], 42])('rejects a document that is not a mapping (%j)', (doc) => {
    const issues = issuesOf(doc);
    expect(issues[0]!.path).toBe('/');
  });
});

describe('loadConfigFile', () => {
  it('reports YAML that does not parse with CONFIG_YAML and the file name', () => {
    const p = file('broken.yaml', 'place: urn:place:DEHAM:berth:42\nmqtt:\n  url: [unclosed\n');
    const e = errorOf(() => loadConfigFile(p));
    expect(e.code).toBe('CONFIG_YAML');
    expect(e.message).toContain(p);
  });

  it('reports a key given twice with CONFIG_YAML rather than silently taking one', () => {
    const p = file('twice.yaml', `place: ${PLACE}\nplace: urn:place:DEHAM:berth:43\n`);
    expect(errorOf(() => loadConfigFile(p)).code).toBe('CONFIG_YAML');
  });

  it('reports a missing file with CONFIG_UNREADABLE', () => {
    const p = join(dir, 'absent.yaml');
    const e = errorOf(() => loadConfigFile(p));
    expect(e.code).toBe('CONFIG_UNREADABLE');
    expect(e.issues[0]!.value).toBe(p);
  });

  it('prefixes validation errors with the file and keeps the issues', () => {
    const p = file('bad.yaml', `place: ${PLACE}\nsignre:\n  kind: tpm\n`);
    const e = errorOf(() => loadConfigFile(p));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message.startsWith(`${p}:`)).toBe(true);
    expect(e.issues).toEqual([{ path: '/signre', value: { kind: 'tpm' }, expected: 'no such key' }]);
  });

  it.each(['berth', 'charger', 'dock'])('loads the shipped example %s.yaml', (name) => {
    const c = loadConfigFile(new URL(`../../agent/config/examples/${name}.yaml`, import.meta.url).pathname);
    expect(c.place).toMatch(/^urn:place:/);
    expect(c.sources.length).toBeGreaterThanOrEqual(2);
    expect(new Set(c.sources.map((s) => s.id)).size).toBe(c.sources.length);
  });

  it('reads the examples as their comments describe them', () => {
    const berth = loadConfigFile(new URL('../../agent/config/examples/berth.yaml', import.meta.url).pathname);
    expect(berth.sources.map((s) => s.type).sort()).toEqual(['ais-serial', 'gpsd', 'modbus']);
    expect(berth.signer).toMatchObject({ kind: 'tpm', ownerAuthFile: '/etc/place-agent/tpm-owner.auth' });
    const charger = loadConfigFile(new URL('../../agent/config/examples/charger.yaml', import.meta.url).pathname);
    expect(charger.sources.map((s) => s.type).sort()).toEqual(['mcu', 'modbus', 'rfid-em4100']);
    expect(charger.signer.kind).toBe('software');
    const dock = loadConfigFile(new URL('../../agent/config/examples/dock.yaml', import.meta.url).pathname);
    expect(dock.sources.map((s) => s.type).sort()).toEqual(['mcu', 'rfid-em4100', 'rfid-uhf']);
    expect(dock.mqtt.protocolVersion).toBe(4);
  });
});

describe('validateConfig: key custody and broker security (issue 12)', () => {
  it('refuses a software key file in a configuration that names a TPM', () => {
    expect(issuesOf({ place: PLACE, signer: { kind: 'tpm', keyFile: '/var/lib/place-agent/device.key' } })).toEqual([
      { path: '/signer/keyFile', value: '/var/lib/place-agent/device.key', expected: expect.stringContaining('no software key file when signer.kind is tpm') },
    ]);
    expect(validateConfig({ place: PLACE, signer: { kind: 'software', keyFile: '/k' } }).signer.keyFile).toBe('/k');
  });

  it('takes the broker login and TLS files, and refuses empty ones', () => {
    const mqtt = { url: 'mqtts://broker.example:8883', username: 'gw', passwordFile: '/etc/place-agent/mqtt.password', caFile: '/etc/place-agent/broker-ca.pem', certFile: '/etc/place-agent/mqtt.crt', keyFile: '/etc/place-agent/mqtt.key' };
    expect(validateConfig({ place: PLACE, mqtt }).mqtt).toMatchObject(mqtt);
    expect(issuesOf({ place: PLACE, mqtt: { ...mqtt, caFile: '' } }).map((i) => i.path)).toEqual(['/mqtt/caFile']);
  });
});
