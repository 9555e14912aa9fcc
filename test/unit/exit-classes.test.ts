/**
 * The command line's exit code comes from the exit class each registry declares beside its
 * codes (2: the user's input, configuration or identity files; 3: a runtime failure), and the
 * README's table of refused starts states the same codes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ExitClasses } from '../../core/coded-error.ts';
import { CliErrorCode, CliErrorExit, declaredExitClass, exitCodeOf } from '../../agent/cli/errors.ts';
import { ConfigErrorCode, ConfigErrorExit } from '../../agent/config/errors.ts';
import { RuntimeErrorCode, RuntimeErrorExit } from '../../agent/runtime/errors.ts';
import { AuthorityErrorCode, AuthorityErrorExit } from '../../agent/authority/errors.ts';
import { SigningErrorCode, SigningErrorExit } from '../../agent/signing/errors.ts';
import { MqttErrorCode, MqttErrorExit } from '../../agent/transport/errors.ts';
import { BrokerConfigCodes } from '../../agent/transport/broker-credentials.ts';
import { BrokerErrorCodes } from '../../agent/transport/broker-errors.ts';
import { OpsErrorCode } from '../../agent/ops/errors.ts';
import { EncodingErrorCode } from '../../agent/encoding/errors.ts';
import { StoreErrorCode } from '../../agent/store/errors.ts';
import { LineageLogErrorCode } from '../../agent/lineage/errors.ts';
import { VerifyErrorCode } from '../../agent/verify/errors.ts';
import { RfidErrorCode } from '../../drivers/rfid/errors.ts';
import { TpmErrorCode } from '../../drivers/tpm/tpm-error.ts';
import { GnssErrorCode, NmeaDecodeFramingCode, NmeaErrorCode, NmeaFramingCode } from '../../drivers/nmea/errors.ts';
import { GpsdErrorCode } from '../../drivers/gpsd/errors.ts';
import { SerialErrorCode } from '../../drivers/serial/errors.ts';
import { ModbusErrorCode } from '../../drivers/modbus/errors.ts';
import { AisErrorCode } from '../../drivers/ais/errors.ts';
import { FrameErrorCode, McuErrorCode } from '../../firmware-bridge/host/errors.ts';

const declaring: [string, Record<string, string>, Record<string, string>][] = [
  ['cli', CliErrorCode, CliErrorExit],
  ['config', ConfigErrorCode, ConfigErrorExit],
  ['runtime', RuntimeErrorCode, RuntimeErrorExit],
  ['authority', AuthorityErrorCode, AuthorityErrorExit],
  ['signing', SigningErrorCode, SigningErrorExit],
  ['mqtt', MqttErrorCode, MqttErrorExit],
];

/** Every error-code registry of the project, declaring or not, by its exported name. */
const allRegistries: Record<string, Record<string, string>> = {
  CliErrorCode,
  ConfigErrorCode,
  RuntimeErrorCode,
  AuthorityErrorCode,
  SigningErrorCode,
  MqttErrorCode,
  BrokerConfigCodes,
  BrokerErrorCodes,
  OpsErrorCode,
  EncodingErrorCode,
  StoreErrorCode,
  LineageLogErrorCode,
  VerifyErrorCode,
  RfidErrorCode,
  TpmErrorCode,
  NmeaErrorCode,
  NmeaFramingCode,
  NmeaDecodeFramingCode,
  GnssErrorCode,
  ModbusErrorCode,
  GpsdErrorCode,
  SerialErrorCode,
  AisErrorCode,
  FrameErrorCode,
  McuErrorCode,
};

/** The names of the `export const XxxCode(s) = {` registries in the source tree (the firmware's message type numbers are not error codes). */
function registriesInTree(): string[] {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const names: string[] = [];
  for (const top of ['agent', 'core', 'drivers', 'firmware-bridge']) {
    for (const f of readdirSync(join(root, top), { recursive: true, encoding: 'utf8' })) {
      if (!f.endsWith('.ts')) continue;
      for (const m of readFileSync(join(root, top, f), 'utf8').matchAll(/^export const (\w+Codes?) = \{/gm)) if (m[1] !== 'MessageTypeCode') names.push(m[1]!);
    }
  }
  return names.sort();
}

describe('exit classes', () => {
  it('exits 2 on what the user handed in and 3 on what failed while running', () => {
    for (const code of ['USAGE', 'INPUT_UNREADABLE', 'KEY_PRIVATE_REFUSED', 'CONFIG_INVALID', 'CONFIG_HOST_UNRESOLVED', 'CONFIG_CREDENTIAL_MISMATCH', 'CREDENTIAL_EXPIRED', 'IDENTITY_NO_CREDENTIAL', 'ANCHOR_UNREADABLE', 'KEY_SOFTWARE_WITH_TPM']) {
      expect([code, exitCodeOf(code)]).toEqual([code, 2]);
    }
    for (const code of ['KEY_PERMISSIONS', 'KEY_MISSING', 'STORE_UNWRITABLE', 'OPS_PORT_IN_USE', 'TPM_UNREACHABLE', 'MQTT_SECRET_FILE_MODE', 'CREDENTIAL_REVOKED', 'CHAIN_UNKNOWN_ANCHOR', 'STORE_IN_USE']) {
      expect([code, exitCodeOf(code)]).toEqual([code, 3]);
    }
    // Codes no declaring registry holds: a system error's, SQLite's, a driver's.
    for (const code of ['SYSTEM_ENOENT', 'SQLITE_FULL', 'NMEA_BAD_CHECKSUM']) expect([code, exitCodeOf(code)]).toEqual([code, 3]);
  });

  it('gives every code of a declaring registry a class, and nothing more', () => {
    for (const [name, codes, classes] of declaring) {
      expect([name, Object.keys(classes).sort()]).toEqual([name, Object.values(codes).sort()]);
      for (const cls of Object.values(classes)) expect(['input', 'runtime']).toContain(cls);
    }
  });

  it('declares a class for every identity, credential, key, anchor and configuration code of any registry', () => {
    const identityLike = Object.values(allRegistries).flatMap((r) => Object.values(r)).filter((c) => /^(IDENTITY|CREDENTIAL|ANCHOR|KEY|CONFIG)_/.test(c));
    expect(identityLike.length).toBeGreaterThan(20);
    const undeclared = identityLike.filter((c) => declaredExitClass(c) === undefined);
    expect(undeclared).toEqual([]);
  });

  it('lists every registry of the source tree in the check above', () => {
    expect(Object.keys(allRegistries).sort()).toEqual(registriesInTree());
  });

  it('gives a code held by two registries the same class in both', () => {
    const seen = new Map<string, string>();
    const conflicts: string[] = [];
    for (const [name, , classes] of declaring) {
      for (const [code, cls] of Object.entries(classes)) {
        const before = seen.get(code);
        if (before !== undefined && before !== cls) conflicts.push(`${code}: ${before} elsewhere, ${cls} in ${name}`);
        seen.set(code, cls);
      }
    }
    expect(conflicts).toEqual([]);
    // The overlaps this guards exist: the preflight and the runtime both raise these.
    expect(Object.hasOwn(ConfigErrorExit, 'IDENTITY_NO_CREDENTIAL') && Object.hasOwn(RuntimeErrorExit, 'IDENTITY_NO_CREDENTIAL')).toBe(true);
  });

  it('agrees with the README table of refused starts', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const rows = [...readme.matchAll(/^\| ((?:`[A-Z_]+`(?:, )?)+) \((\d)\) \|/gm)];
    expect(rows.length).toBeGreaterThan(10);
    for (const [, codes, exit] of rows) {
      for (const code of codes!.match(/[A-Z_]+/g)!) expect([code, exitCodeOf(code)]).toEqual([code, Number(exit)]);
    }
  });

  it('does not compile a registry map that leaves a code out', () => {
    // @ts-expect-error STORE_UNWRITABLE has no class (checked by npm run typecheck)
    const partial: ExitClasses<'CONFIG_INVALID' | 'STORE_UNWRITABLE'> = { CONFIG_INVALID: 'input' };
    expect(partial.CONFIG_INVALID).toBe('input');
  });
});
