/**
 * Builds the configured sources (drivers/ and firmware-bridge/) for a configuration-driven run.
 * Each driver, and node-serialport, is imported only when a source needs it: a gateway holds
 * in memory the drivers it runs, not all of them.
 */
import type { Logger } from '../../core/log.ts';
import type { ReadingSource } from '../../core/reading.ts';
import type { ByteLink } from '../../drivers/serial/binding.ts';
import { ReconnectingLink } from '../../drivers/serial/reconnecting-link.ts';
import type { DeviceProfile } from '../../drivers/modbus/profile.ts';
import type { AgentConfig, SourceConfig } from '../config/schema.ts';
import { resolveModbusProfiles } from '../config/modbus-profiles.ts';

/** `tcp://host:port` is a serial-over-network endpoint (ser2net style); anything else a device path. */
async function linkMaker(port: string, baudRate: number): Promise<(path: string) => ByteLink> {
  if (/^tcp:\/\/[^:/]+:\d+$/.test(port)) {
    const { TcpLink } = await import('../../drivers/serial/tcp-link.ts');
    return (p) => {
      const m = /^tcp:\/\/([^:/]+):(\d+)$/.exec(p)!;
      return new TcpLink({ host: m[1]!, port: Number(m[2]) });
    };
  }
  const { SerialPortLink } = await import('../../drivers/serial/serialport-link.ts');
  return (path) => new SerialPortLink({ path, baudRate });
}

/**
 * Every serial source reads through a ReconnectingLink: a port absent at boot (a USB reader not
 * yet enumerated) is opened when it appears, a vanished one reopened with capped backoff, a
 * `/dev/serial/by-id` name re-resolved at each open (the stale ttyUSB trap), silence reported.
 */
async function supervisedLink(port: string, baudRate: number, log: Logger, silence: { staleAfterMs?: number; reopenWhenStale?: boolean }): Promise<ReconnectingLink> {
  const createLink = await linkMaker(port, baudRate);
  return new ReconnectingLink({
    path: port,
    createLink,
    ...(port.startsWith('tcp://') ? { resolvePath: (p: string) => Promise.resolve(p) } : {}),
    ...silence,
    logger: log,
  });
}

/** The source's own health, overridden by its link's when the port itself is not open. */
function withLinkHealth(src: ReadingSource, link: ReconnectingLink): ReadingSource {
  return {
    id: src.id,
    start: (cb) => src.start(cb),
    stop: () => src.stop(),
    health: () => {
      const h = src.health();
      const l = link.health();
      const errors = { ...h.errors, ...l.errors };
      if (l.state === 'open' || l.state === 'idle' || l.state === 'closed') return { ...h, errors };
      const state = l.state === 'stale' ? 'stale' : l.state === 'connecting' ? 'starting' : 'down';
      return { ...h, state, errors, detail: `${link.endpoint}: ${l.state}${l.failedAttempts ? `, ${l.failedAttempts} failed open(s)` : ''}` };
    },
  };
}

/** `profiles`: every Modbus slave's resolved profile, keyed `<source id>/<slave index>` (resolveModbusProfiles). */
export async function createSource(s: SourceConfig, logger: Logger, profiles: ReadonlyMap<string, DeviceProfile> = new Map()): Promise<ReadingSource> {
  // Each source names its own log namespace (`modbus:<id>`, `nmea:<id>`, ...); the link logs
  // under the same name (`modbus:<id>:link`), so no name appears twice.
  const log = logger;
  const linkLog = logger.child(`${s.type}:${s.id}`);
  if (s.type === 'gpsd') {
    const { GpsdSource } = await import('../../drivers/gpsd/gpsd-source.ts');
    return new GpsdSource({ id: s.id, host: s.host, ...(s.port ? { port: s.port } : {}), staleAfterMs: s.staleSeconds * 1000, logger: log });
  }
  // A GNSS receiver talks every second: silence means a dead fd (reopen it). RFID readers are
  // quiet until a tag comes, so silence says nothing; the others poll or heartbeat.
  const talkative = s.type === 'nmea-serial';
  const eventDriven = s.type === 'rfid-em4100' || s.type === 'rfid-uhf';
  const link = await supervisedLink(s.port, s.baudRate, linkLog, eventDriven ? {} : { staleAfterMs: s.staleSeconds * 1000, reopenWhenStale: talkative });
  switch (s.type) {
    case 'nmea-serial': {
      const { NmeaSerialSource } = await import('../../drivers/nmea/nmea-serial-source.ts');
      return withLinkHealth(new NmeaSerialSource({ id: s.id, link, staleAfterMs: s.staleSeconds * 1000, logger: log }), link);
    }
    case 'ais-serial': {
      const { AisSource } = await import('../../drivers/ais/ais-source.ts');
      return withLinkHealth(new AisSource({ id: s.id, link, staleAfterMs: s.staleSeconds * 1000, logger: log }), link);
    }
    case 'rfid-em4100': {
      const { RfidSource } = await import('../../drivers/rfid/rfid-source.ts');
      // 125 kHz readers read at a few centimetres: a sighting places the tag at the reader.
      return withLinkHealth(withRange(new RfidSource({ id: s.id, link, protocol: 'em4100', holdMs: s.holdSeconds * 1000, logger: log }), 0.2), link);
    }
    case 'rfid-uhf': {
      const { RfidSource } = await import('../../drivers/rfid/rfid-source.ts');
      return withLinkHealth(withRange(new RfidSource({ id: s.id, link, protocol: 'uhf-r200', holdMs: s.holdSeconds * 1000, logger: log }), s.rangeM), link);
    }
    case 'modbus': {
      const { ModbusSource } = await import('../../drivers/modbus/modbus-source.ts');
      return withLinkHealth(
        new ModbusSource({
          id: s.id,
          link,
          baudRate: s.baudRate,
          timeoutMs: s.timeoutMs,
          intervalMs: s.pollSeconds * 1000,
          slaves: s.slaves.map((sl, i) => {
            const profile = profiles.get(`${s.id}/${i}`);
            if (!profile) throw new Error(`Modbus profile of ${s.id}/${i} was not resolved (resolveModbusProfiles)`);
            return { unit: sl.unit, profile, ...(sl.name ? { name: sl.name } : {}) };
          }),
          logger: log,
        }),
        link,
      );
    }
    case 'mcu': {
      const { McuSource } = await import('../../firmware-bridge/host/mcu-source.ts');
      return withLinkHealth(new McuSource({ id: s.id, link, log: logger.child('mcu'), config: { heartbeatMs: s.heartbeatSeconds * 1000 } }), link);
    }
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
  const profiles = resolveModbusProfiles(cfg);
  const sources: ReadingSource[] = [];
  for (const s of cfg.sources) sources.push(await createSource(s, logger, profiles));
  return sources;
}
