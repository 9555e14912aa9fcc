/**
 * `npm run demo:berth`, `demo:charger`, `demo:dock`: one example place on simulated devices, so
 * an engineer sees its gateway work before the hardware arrives. The shipped example
 * configuration (demo-config.ts lists what is replaced) runs in the real agent, reading the
 * place's simulated devices through socat ptys and the real drivers, publishing to a mosquitto
 * on a loopback ephemeral port. The demo provisions the gateway through the real commands,
 * prints every observation as it arrives from the broker with the library verifier's verdict,
 * and plays the place's day: a grant, a unit that arrives, stays and leaves, again and again.
 * Ctrl-C stops the agent (once), then the devices, the ptys and the broker; without --dir the
 * demo's directory is removed too.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import mqtt from 'mqtt';
import { startMosquitto } from '../mosquitto.ts';
import { freePort } from '../ports.ts';
import { runAgent, spawnAgent, type AgentProcess } from '../agent-cli.ts';
import { provisionGateway } from '../gateway-provision.ts';
import { demoConfig, exampleConfigPath, PLACES, readExample, type PlaceName } from './demo-config.ts';
import { Teardown } from '../teardown.ts';
import { isRunning } from '../peer-process.ts';
import type { PlaceScene } from './scene.ts';
import { berthScene } from './berth-scene.ts';
import { chargerScene } from './charger-scene.ts';
import { dockScene } from './dock-scene.ts';
import { createConsolePrinter } from '../../agent/runtime/console-printer.ts';
import { loadTrustAnchor } from '../../agent/authority/authority-dir.ts';
import { decodeSign1 } from '../../agent/encoding/cose-sign1.ts';
import { decodeCbor } from '../../agent/encoding/cbor-decode.ts';
import { CLAIM, type ObservationKind, type SignedObservation } from '../../agent/lineage/observation.ts';

const USAGE = 'usage: npm run demo:berth|demo:charger|demo:dock [-- --dir DIR]  (or: node --import tsx hil/demo/place-demo.ts PLACE [--dir DIR])';
const SCENES: Record<PlaceName, (dir: string, example: Record<string, unknown>) => Promise<PlaceScene>> = {
  berth: (dir, example) => berthScene(dir, example),
  charger: (dir) => chargerScene(dir),
  dock: (dir) => dockScene(dir),
};
/** Presence hold in the demo: long enough to bridge the sensors' report gaps, short enough to see a departure. */
const HOLD_SECONDS = 8;
/** How long the agent may take to stop before it is killed. */
const STOP_MS = 20_000;

function observationOf(bytes: Uint8Array): SignedObservation {
  const payload = decodeSign1(bytes).payload;
  const c = decodeCbor(payload) as Map<number, unknown>;
  return {
    seq: Number(c.get(CLAIM.seq)),
    kind: String(c.get(CLAIM.kind)) as ObservationKind,
    place: String(c.get(CLAIM.place)),
    t: Number(c.get(CLAIM.t)),
    epoch: BigInt(c.get(CLAIM.epoch) as number | bigint),
    bytes,
    hash: new Uint8Array(createHash('sha256').update(payload).digest()),
  };
}

const say = (line: string): void => void process.stdout.write(`${line}\n`);

/** Resolves after `ms`, or at once when `stop` fires. */
function pause(ms: number, stop: AbortSignal): Promise<void> {
  return new Promise((r) => {
    const t = setTimeout(r, ms);
    stop.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
  });
}

async function playDay(place: string, auth: string, dir: string, scene: PlaceScene, publish: (topic: string, bytes: Buffer) => Promise<void>, stop: AbortSignal): Promise<void> {
  for (let n = 1; !stop.aborted; n++) {
    const now = Date.now();
    const reservation = `DEMO-${n}`;
    const grantFile = join(dir, `${reservation}.grant`);
    const g = await runAgent(['authority', 'grant', '--dir', auth, '--place', place, '--reservation', reservation, '--unit', scene.unit, '--start', String(now - 1000), '--end', String(now + 120_000), '--tolerance', String(scene.toleranceM), '--grace', '60000', '--out', grantFile]);
    if (g.code !== 0) throw new Error(`authority grant exited ${g.code}: ${g.stderr.trim()}`);
    await publish(`pm/v1/${place}/grants/${reservation}`, readFileSync(grantFile));
    say(`  world: reservation ${reservation} granted to ${scene.unit} for the next 2 minutes (published retained on pm/v1/${place}/grants/${reservation})`);
    await pause(3000, stop);
    if (stop.aborted) return;
    say(`  world: ${scene.arrival}`);
    await scene.arrive();
    await pause(25_000, stop);
    if (stop.aborted) return;
    say(`  world: ${scene.departure}`);
    await scene.leave();
    await pause((HOLD_SECONDS + 12) * 1000, stop);
  }
}

/** The Debian programs each demo runs (hil/setup-system.sh installs them). */
const TOOLS: Record<PlaceName, string[]> = { berth: ['socat', 'mosquitto', 'gpsd'], charger: ['socat', 'mosquitto', 'make', 'cc'], dock: ['socat', 'mosquitto', 'make', 'cc'] };

function missingTools(place: PlaceName): string[] {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin'];
  return TOOLS[place].filter((t) => !dirs.some((d) => d && existsSync(join(d, t))));
}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { dir: { type: 'string' }, help: { type: 'boolean' } } });
  const place = positionals[0] as PlaceName;
  if (values.help || positionals.length !== 1 || !PLACES.includes(place)) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const missing = missingTools(place);
  if (missing.length) {
    process.stderr.write(`place-demo: ${missing.join(', ')} not found; install the test peers with: sudo bash hil/setup-system.sh\n`);
    return 2;
  }
  const keep = values.dir !== undefined;
  const dir = keep ? resolve(values.dir!) : mkdtempSync(join(tmpdir(), `place-demo-${place}-`));
  if (keep) {
    mkdirSync(dir, { recursive: true });
    if (readdirSync(dir).length) {
      process.stderr.write(`place-demo: ${dir} is not empty; give a new or empty directory\n`);
      return 2;
    }
  }
  const teardown = new Teardown();
  if (!keep) teardown.add(() => rmSync(dir, { recursive: true, force: true }));
  const stop = new AbortController();
  // The launcher sends one SIGINT; a SIGTERM (or a SIGINT sent to the group by hand) is the same request.
  const onSignal = (): void => {
    if (!stop.signal.aborted) say('place-demo: stopping the agent, then the devices and the broker');
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let agent: AgentProcess | undefined;
  try {
    const example = readExample(place);
    const placeUrn = String(example.place);
    const broker = await startMosquitto();
    teardown.add(() => broker.dispose());
    const scene = await SCENES[place](dir, example);
    teardown.add(() => scene.close());
    if (stop.signal.aborted) return 0;
    const state = join(dir, 'state');
    const auth = join(dir, 'authority');
    await provisionGateway(state, auth, 'urn:place-authority:demo', placeUrn);
    const metricsPort = await freePort();
    const { yaml, changes } = demoConfig({ example, state, auth, brokerUrl: broker.url, metricsPort, ports: scene.ports, ...(scene.gpsdPort !== undefined ? { gpsdPort: scene.gpsdPort } : {}), holdSeconds: HOLD_SECONDS });
    const cfgPath = join(dir, `${place}.yaml`);
    writeFileSync(cfgPath, yaml);
    const check = await runAgent(['config', 'check', cfgPath]);
    if (check.code !== 0) {
      process.stderr.write(check.stderr);
      return check.code ?? 3;
    }
    const anchor = join(auth, 'anchor.cose');
    say(`place-demo: ${place} ${placeUrn}, the example ${exampleConfigPath(place)} on simulated devices`);
    for (const d of scene.devices) say(`  device  ${d}`);
    say(`  broker  ${broker.url} (mosquitto)`);
    say(`  config  ${cfgPath}, the example with:`);
    for (const c of changes) say(`            ${c}`);
    say(`  verify  place-agent verify --anchor ${anchor} --broker ${broker.url} --place ${placeUrn} --count 20`);
    say(`  files   ${dir}${keep ? ' (kept)' : ' (removed at the end; --dir DIR keeps them)'}`);
    say('Each observation below came from the broker and was checked by the verifier library against the anchor. Ctrl-C stops.');

    const printer = createConsolePrinter([loadTrustAnchor(anchor)], say);
    const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: `place-demo-${process.pid}` });
    teardown.add(() => client.endAsync(true).then(() => undefined));
    let firstObservation: () => void = () => {};
    const agentUp = new Promise<void>((r) => (firstObservation = r));
    client.on('message', (topic, payload) => {
      // The status topic also carries the JSON birth/will; observations are tagged COSE_Sign1 (0xd2).
      if (topic.includes('/grants/') || payload[0] !== 0xd2) return;
      firstObservation();
      try {
        printer(observationOf(new Uint8Array(payload)));
      } catch (e) {
        say(`  (undecodable message on ${topic}: ${(e as Error).message})`);
      }
    });
    await client.subscribeAsync(`pm/v1/${placeUrn}/#`, { qos: 1 });

    const started = spawnAgent(['run', '--config', cfgPath, '--quiet'], {}, { stderr: 'inherit', detached: true });
    agent = started;
    started.proc.stdout!.on('data', (d: Buffer) => process.stdout.write(d));
    const exitedEarly = started.exited.then((code) => {
      if (!stop.signal.aborted) say(`place-demo: the agent exited (code ${code}) on its own`);
      stop.abort();
      return code;
    });
    // The day starts once the agent's first observation is on the broker: a unit arriving earlier would meet no agent.
    await Promise.race([agentUp, new Promise((r) => stop.signal.addEventListener('abort', r, { once: true }))]);
    const day = playDay(placeUrn, auth, dir, scene, async (topic, bytes) => void (await client.publishAsync(topic, bytes, { qos: 1, retain: true })), stop.signal).catch((e: Error) => {
      say(`place-demo: the scene failed: ${e.message}`);
      stop.abort();
    });
    await new Promise<void>((r) => stop.signal.addEventListener('abort', () => r(), { once: true }));
    if (isRunning(started.proc)) started.proc.kill('SIGINT');
    const timer = setTimeout(() => started.proc.kill('SIGKILL'), STOP_MS);
    const code = await exitedEarly;
    clearTimeout(timer);
    await day;
    say(`place-demo: agent stopped (exit ${code}); closing the devices, the ptys and the broker`);
    return code === 0 ? 0 : 1;
  } finally {
    if (agent && isRunning(agent.proc)) agent.proc.kill('SIGKILL');
    await teardown.run();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * A terminal's Ctrl-C reaches its whole foreground group: socat, mosquitto, gpsd and pm-sim
 * would vanish under the agent while it stops. So the demo runs in its own process group, and
 * this launcher turns the first Ctrl-C into one SIGINT for it: the agent stops first, then the
 * devices and the broker.
 */
function launch(): void {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', detached: true, env: { ...process.env, PLACE_DEMO_GROUP: '1' } });
  let forwarded = false;
  const forward = (): void => {
    if (!forwarded && child.exitCode === null) child.kill('SIGINT');
    forwarded = true;
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (process.env.PLACE_DEMO_GROUP) {
  main().then(
    (code) => {
      if (code === 0) say('place-demo: stopped; devices, ptys and broker closed');
      process.exit(code);
    },
    (e: Error) => {
      process.stderr.write(`place-demo: ${e.message}\n`);
      process.exit(3);
    },
  );
} else launch();
