/**
 * A configured place gateway on simulated devices, for the place tests: a temporary directory,
 * a mosquitto on a loopback ephemeral port, each device on its own socat pty (the agent opens
 * `<dir>/<name>-agent`, the device `<dir>/<name>-device`), the gateway provisioned through the
 * real commands, its configuration written after the common head and passed by `config check`
 * before the real binary runs it. `close()` kills an agent still running, then closes the
 * devices, the ptys and the broker, last opened first, and removes the directory.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SerialPort } from 'serialport';
import mqtt from 'mqtt';
import { SocatPtyPair } from './pty.ts';
import { startMosquitto, type Mosquitto } from './mosquitto.ts';
import { SimulatedModbusSlave } from './modbus-slave.ts';
import { SimulatedRfidReader } from './rfid-reader.ts';
import { closePort, openDevicePort } from './device-port.ts';
import { Teardown } from './teardown.ts';
import { stopProcess } from './peer-process.ts';
import { runAgent, spawnAgent, type AgentProcess } from './agent-cli.ts';
import { gatewayConfig, provisionGateway } from './gateway-provision.ts';
import { startPtyRig, type FirmwareOptions } from '../firmware-bridge/host-sim/pty-rig.ts';
import type { Em4100Format } from '../drivers/rfid/em4100.ts';

/** What `authority grant` is given for one reservation of the rig's place. */
export interface RigGrant {
  reservation: string;
  /** `scheme:id`, as `authority grant --unit` takes it. */
  unit: string;
  toleranceM: number;
}

export class PlaceRig {
  readonly state: string;
  readonly auth: string;
  /** The agent's store, where the tests read back what it signed. */
  readonly db: string;
  readonly anchor: string;
  /** The agent last started with `run()`. */
  agent: AgentProcess | undefined;
  private readonly teardown = new Teardown();

  private constructor(
    readonly dir: string,
    readonly place: string,
    readonly broker: Mosquitto,
  ) {
    this.state = join(dir, 'state');
    this.auth = join(dir, 'authority');
    this.db = join(this.state, 'agent.db');
    this.anchor = join(this.auth, 'anchor.cose');
  }

  /** A directory named after `name` and a broker; devices are added with the methods below. */
  static async start(name: string, place: string): Promise<PlaceRig> {
    const dir = mkdtempSync(join(tmpdir(), `pa-${name}-`));
    try {
      const rig = new PlaceRig(dir, place, await startMosquitto());
      rig.teardown.add(() => rig.broker.dispose());
      return rig;
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /** Runs `step` at close(), before what was opened earlier. */
  defer(step: () => Promise<void> | void): void {
    this.teardown.add(step);
  }

  /** A pty pair for device `name`, started unless `start: false` (a test that plugs it in later). */
  async pty(name: string, o: { start?: boolean } = {}): Promise<SocatPtyPair> {
    const pty = new SocatPtyPair(join(this.dir, `${name}-agent`), join(this.dir, `${name}-device`));
    this.teardown.add(() => pty.kill());
    if (o.start ?? true) await pty.start();
    return pty;
  }

  /** A Modbus RTU bus on its own pty; `setup` adds its units before it opens. */
  async modbusSlave(name: string, baudRate: number, setup: (slave: SimulatedModbusSlave) => void): Promise<{ pty: SocatPtyPair; slave: SimulatedModbusSlave }> {
    const pty = await this.pty(name);
    const slave = new SimulatedModbusSlave({ path: pty.linkB, baudRate });
    setup(slave);
    await slave.open();
    this.teardown.add(() => slave.close());
    return { pty, slave };
  }

  async rfidReader(name: string, format: Em4100Format): Promise<{ pty: SocatPtyPair; reader: SimulatedRfidReader }> {
    const pty = await this.pty(name);
    const reader = new SimulatedRfidReader({ path: pty.linkB, format });
    await reader.open();
    this.teardown.add(() => reader.close());
    return { pty, reader };
  }

  /** A device that only talks (an AIS or GNSS receiver): its end of the pty, open for writing. */
  async serialDevice(name: string, baudRate: number): Promise<{ pty: SocatPtyPair; port: SerialPort }> {
    const pty = await this.pty(name);
    const port = await openDevicePort(pty.linkB, baudRate);
    this.teardown.add(() => closePort(port));
    return { pty, port };
  }

  /**
   * The MCU reference firmware's host build (pm-sim) on its own pty pair; the agent opens
   * `hostPath`. Its sensors read `channels` (hal_host.c --world) until `setChannels` moves the world.
   */
  async mcu(firmware: Omit<FirmwareOptions, 'world'>, channels: number[]): Promise<{ hostPath: string; setChannels(values: number[]): void }> {
    const world = join(this.dir, 'mcu-world');
    const setChannels = (values: number[]): void => writeFileSync(world, `${values.join(' ')}\n`);
    setChannels(channels);
    const rig = await startPtyRig({ firmware: { ...firmware, world } });
    this.teardown.add(() => rig.close());
    return { hostPath: rig.hostPath, setChannels };
  }

  /** `keys init`, an authority named `authorityName`, a device credential scoped to the place. */
  provision(authorityName: string): Promise<void> {
    return provisionGateway(this.state, this.auth, authorityName, this.place);
  }

  /**
   * Writes `<dir>/<file>`: the common head (place, state, credential, anchors, this broker),
   * metrics off unless `body` says otherwise, then `body` as YAML; rejects with what
   * `config check` said unless it passes.
   */
  async configure(file: string, body: Record<string, unknown>): Promise<string> {
    const cfg = join(this.dir, file);
    writeFileSync(cfg, gatewayConfig(this.place, this.state, this.auth, this.broker.url, body));
    const check = await runAgent(['config', 'check', cfg]);
    if (check.code !== 0) throw new Error(`config check ${file} exited ${check.code}: ${check.stderr}${check.stdout}`);
    return cfg;
  }

  /** Starts the real binary on `cfg` (`place-agent run --config`). */
  run(cfg: string): AgentProcess {
    this.agent = spawnAgent(['run', '--config', cfg]);
    return this.agent;
  }

  /** SIGTERM, as systemd stops it: its exit code and what it wrote on stderr. */
  async stop(): Promise<{ code: number | null; stderr: string }> {
    const agent = this.agent;
    if (!agent) throw new Error('no agent was started');
    agent.proc.kill('SIGTERM');
    const code = await agent.exited;
    return { code, stderr: agent.stderr() };
  }

  /**
   * Signs a grant with `authority grant` (valid from a second ago for ten minutes, 60 s
   * grace) and publishes it retained on the place's grants topic: the grant file's path.
   */
  async grant(g: RigGrant): Promise<string> {
    const now = Date.now();
    const file = join(this.dir, `${g.reservation}.grant`);
    const r = await runAgent(['authority', 'grant', '--dir', this.auth, '--place', this.place, '--reservation', g.reservation, '--unit', g.unit, '--start', String(now - 1000), '--end', String(now + 600_000), '--tolerance', String(g.toleranceM), '--grace', '60000', '--out', file]);
    if (r.code !== 0) throw new Error(`authority grant exited ${r.code}: ${r.stderr}`);
    await this.publish(`pm/v1/${this.place}/grants/${g.reservation}`, readFileSync(file), true);
    return file;
  }

  /** Publishes on the rig's broker at QoS 1, as a back office would. */
  async publish(topic: string, bytes: Buffer, retain = false): Promise<void> {
    const client = await mqtt.connectAsync(this.broker.url, { protocolVersion: 5 });
    try {
      await client.publishAsync(topic, bytes, { qos: 1, retain });
    } finally {
      await client.endAsync();
    }
  }

  async close(): Promise<void> {
    await stopProcess(this.agent?.proc, 'SIGKILL');
    await this.teardown.run();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
