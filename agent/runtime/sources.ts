/** Builds the configured sources (drivers/ and firmware-bridge/) for a configuration-driven run. */
import type { Logger } from '../../drivers/core/log.ts';
import type { ReadingSource } from '../../drivers/core/reading.ts';
import type { ByteLink } from '../../drivers/serial/binding.ts';
import { SerialPortLink } from '../../drivers/serial/serialport-link.ts';
import { TcpLink } from '../../drivers/serial/tcp-link.ts';
import { ReconnectingLink } from '../../drivers/serial/reconnecting-link.ts';
import { NmeaSerialSource } from '../../drivers/nmea/nmea-serial-source.ts';
import { GpsdSource } from '../../drivers/gpsd/gpsd-source.ts';
import { AisSource } from '../../drivers/ais/ais-source.ts';
import { RfidSource } from '../../drivers/rfid/rfid-source.ts';
import { ModbusSource } from '../../drivers/modbus/modbus-source.ts';
import { BUILTIN_PROFILES, loadBuiltinProfile } from '../../drivers/modbus/profile.ts';
import { McuSource } from '../../firmware-bridge/host/mcu-source.ts';
import type { AgentConfig, SourceConfig } from '../config/schema.ts';
import { ConfigError } from '../config/load.ts';

/** `tcp://host:port` is a serial-over-network endpoint (ser2net style); anything else a device path. */
export function linkFor(port: string, baudRate: number): ByteLink {
  const m = /^tcp:\/\/([^:/]+):(\d+)$/.exec(port);
  if (m) return new TcpLink({ host: m[1]!, port: Number(m[2]) });
  return new SerialPortLink({ path: port, baudRate });
}

export function createSource(s: SourceConfig, logger: Logger): ReadingSource {
  const log = logger.child(s.id);
  switch (s.type) {
    case 'nmea-serial': {
      const link = new ReconnectingLink({
        path: s.port,
        createLink: (p) => linkFor(p, s.baudRate),
        ...(s.port.startsWith('tcp://') ? { resolvePath: (p: string) => Promise.resolve(p) } : {}),
        staleAfterMs: s.staleSeconds * 1000,
        logger: log,
      });
      return new NmeaSerialSource({ id: s.id, link, staleAfterMs: s.staleSeconds * 1000, logger: log });
    }
    case 'gpsd':
      return new GpsdSource({ id: s.id, host: s.host, ...(s.port ? { port: s.port } : {}), staleAfterMs: s.staleSeconds * 1000, logger: log });
    case 'ais-serial':
      return new AisSource({ id: s.id, link: linkFor(s.port, s.baudRate), staleAfterMs: s.staleSeconds * 1000, logger: log });
    case 'rfid-em4100':
      // 125 kHz readers read at a few centimetres: a sighting places the tag at the reader.
      return withRange(new RfidSource({ id: s.id, link: linkFor(s.port, s.baudRate), protocol: 'em4100', holdMs: s.holdSeconds * 1000, logger: log }), 0.2);
    case 'rfid-uhf':
      return withRange(new RfidSource({ id: s.id, link: linkFor(s.port, s.baudRate), protocol: 'uhf-r200', holdMs: s.holdSeconds * 1000, logger: log }), s.rangeM);
    case 'modbus':
      return new ModbusSource({
        id: s.id,
        link: linkFor(s.port, s.baudRate),
        baudRate: s.baudRate,
        timeoutMs: s.timeoutMs,
        intervalMs: s.pollSeconds * 1000,
        slaves: s.slaves.map((sl, i) => {
          if (!(BUILTIN_PROFILES as readonly string[]).includes(sl.profile)) {
            throw new ConfigError('CONFIG_INVALID', `unknown Modbus profile ${sl.profile}`, [
              { path: `/sources/${s.id}/slaves/${i}/profile`, value: sl.profile, expected: `one of ${BUILTIN_PROFILES.join(', ')}` },
            ]);
          }
          return { unit: sl.unit, profile: loadBuiltinProfile(sl.profile as (typeof BUILTIN_PROFILES)[number]), ...(sl.name ? { name: sl.name } : {}) };
        }),
        logger: log,
      });
    case 'mcu':
      return new McuSource({ id: s.id, link: linkFor(s.port, s.baudRate), log, config: { heartbeatMs: s.heartbeatSeconds * 1000 } });
  }
}

/** Adds the reader's range to each sighting: the distance bound presence evidence states. */
function withRange(src: ReadingSource, rangeM: number): ReadingSource {
  return {
    id: src.id,
    start: (onReading) => src.start((r) => onReading({ ...r, value: { ...(r.value as object), rangeM } })),
    stop: () => src.stop(),
    health: () => src.health(),
  };
}

export async function createSources(cfg: AgentConfig, logger: Logger): Promise<ReadingSource[]> {
  return cfg.sources.map((s) => createSource(s, logger));
}
