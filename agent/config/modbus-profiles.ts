/**
 * Modbus device profiles named in a configuration: a profile shipped with the agent by name
 * (`energy-meter`, `ultrasonic-range`) or the operator's own JSON file by path (absolute, or
 * relative to the configuration file). A point that reports a limit minus a measured power
 * (`subtractFrom`, in kW) takes the limit from the place's configuration, never from
 * the profile: one profile serves a 22 kW wallbox and a 150 kW charger alike. The limit is the
 * place's `max_kw` envelope dimension (`envelope.dims.max_kw.value`).
 */
import { readFileSync } from 'node:fs';
import { BUILTIN_PROFILES, loadBuiltinProfile, parseDeviceProfile, type DeviceProfile } from '../../drivers/modbus/profile.ts';
import type { AgentConfig } from './schema.ts';
import { ConfigError } from './errors.ts';

export const isProfilePath = (spec: string): boolean => spec.includes('/') || spec.endsWith('.json');

function loadProfile(spec: string, at: string): DeviceProfile {
  if (!isProfilePath(spec)) {
    if (!(BUILTIN_PROFILES as readonly string[]).includes(spec)) {
      throw new ConfigError('CONFIG_INVALID', `configuration is invalid:\n  ${at}: got ${JSON.stringify(spec)}, expected one of ${BUILTIN_PROFILES.join(', ')} or a profile file path`, [
        { path: at, value: spec, expected: `one of ${BUILTIN_PROFILES.join(', ')} or a profile file path` },
      ]);
    }
    return loadBuiltinProfile(spec as (typeof BUILTIN_PROFILES)[number]);
  }
  let text: string;
  try {
    text = readFileSync(spec, 'utf8');
  } catch (e) {
    throw new ConfigError('CONFIG_INVALID', `configuration is invalid:\n  ${at}: cannot read profile ${spec}: ${(e as Error).message}`, [{ path: at, value: spec, expected: 'a readable profile file' }]);
  }
  try {
    return parseDeviceProfile(JSON.parse(text));
  } catch (e) {
    throw new ConfigError('CONFIG_INVALID', `configuration is invalid:\n  ${at}: profile ${spec}: ${(e as Error).message}`, [{ path: at, value: spec, expected: 'a valid device profile (JSON)' }]);
  }
}

function withPlaceLimit(p: DeviceProfile, cfg: AgentConfig): DeviceProfile {
  const limit = cfg.envelope.dims['max_kw']?.value;
  if (typeof limit !== 'number') return p;
  return { ...p, points: p.points.map((pt) => (pt.subtractFrom !== undefined && pt.unit === 'kW' ? { ...pt, subtractFrom: limit } : pt)) };
}

/** Every Modbus slave's profile, keyed by `<source id>/<slave index>`; a failure names the config path. */
export function resolveModbusProfiles(cfg: AgentConfig): Map<string, DeviceProfile> {
  const out = new Map<string, DeviceProfile>();
  cfg.sources.forEach((s, i) => {
    if (s.type !== 'modbus') return;
    s.slaves.forEach((sl, j) => {
      const at = `/sources/${i}/slaves/${j}/profile`;
      out.set(`${s.id}/${j}`, withPlaceLimit(loadProfile(sl.profile, at), cfg));
    });
  });
  return out;
}
