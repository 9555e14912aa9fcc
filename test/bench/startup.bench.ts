/**
 * `npm run bench startup`: what an operator on a Pi notices of the shipped (compiled) agent.
 * - `place-agent --help` against `node -e 0` (median of 7 each, interleaved): target 3x.
 * - the embedded demo from spawn to its first signed observation printed: target 1.5 s.
 * - resident memory (`ps -o rss`) and threads after 60 s, of the embedded demo and of a
 *   configured gateway with three serial sources (GNSS, AIS, RFID on socat ptys, fed while it
 *   runs) publishing to mosquitto: target 80 MB each. Both run at the same time, beside an idle
 *   `node` (the floor: what Node alone holds, most of it the binary's own pages). Each RSS is
 *   the median of one sample a second over the last 5 s (one sample catches a young generation
 *   about to be collected).
 * Everything runs dist/ (built first), as the bin and the systemd unit do.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { SocatPtyPair } from '../../hil/pty.ts';
import { startMosquitto } from '../../hil/mosquitto.ts';
import { gatewayConfig, provisionGateway } from '../../hil/gateway-provision.ts';

const repo = join(import.meta.dirname, '..', '..');
const BIN = join(repo, 'dist/agent/cli/bin.js');
const PLACE = 'urn:place:BENCH:berth:1';
const STEADY_MS = Number(process.env.BENCH_STEADY_MS ?? 60_000);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeRun(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
  return performance.now() - t0;
}

function cli(args: string[]): string {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`place-agent ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** RSS in MB and thread count of a live process (ps(1), as an operator would look). */
function memory(pid: number): { rssMb: number; threads: number } {
  const r = spawnSync('ps', ['-o', 'rss=,nlwp=', '-p', String(pid)], { encoding: 'utf8' });
  const [rss, threads] = r.stdout.trim().split(/\s+/).map(Number);
  return { rssMb: Math.round((rss! / 1024) * 10) / 10, threads: threads! };
}

/** The median RSS (and the last thread count) of each process over `samples` samples a second apart. */
async function steadyMemory(pids: number[], samples: number): Promise<{ rssMb: number; threads: number }[]> {
  const seen: { rssMb: number; threads: number }[][] = pids.map(() => []);
  for (let i = 0; i < samples; i++) {
    if (i) await new Promise((r) => setTimeout(r, 1000));
    pids.forEach((pid, k) => seen[k]!.push(memory(pid)));
  }
  return seen.map((xs) => ({ rssMb: median(xs.map((x) => x.rssMb)), threads: xs[xs.length - 1]!.threads }));
}

function nmea(body: string): string {
  let x = 0;
  for (const c of body) x ^= c.charCodeAt(0);
  return `$${body}*${x.toString(16).toUpperCase().padStart(2, '0')}\r\n`;
}

function watch(child: ChildProcess): { out: () => string } {
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', () => undefined);
  return { out: () => out };
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function benchStartup(): Promise<Record<string, number>> {
  const built = spawnSync('npm', ['run', 'build', '--silent'], { cwd: repo, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`npm run build failed: ${built.stderr}`);
  const dir = mkdtempSync(join(tmpdir(), 'pa-bench-startup-'));
  const children: ChildProcess[] = [];
  const ptys: SocatPtyPair[] = [];
  const broker = await startMosquitto();
  try {
    // --help against a bare node, interleaved so load on the machine hits both alike.
    const help: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < 7; i++) {
      bare.push(timeRun(['-e', '0']));
      help.push(timeRun([BIN, '--help']));
    }

    // Configured gateway: provisioned as an installer does, three serial sources on ptys.
    const state = join(dir, 'gw');
    const auth = join(dir, 'authority');
    await provisionGateway(state, auth, 'urn:place-authority:bench', PLACE, [BIN]);
    for (const name of ['gnss', 'ais', 'rfid']) {
      const p = new SocatPtyPair(join(dir, `${name}-agent`), join(dir, `${name}-device`));
      await p.start();
      ptys.push(p);
    }
    const cfg = join(dir, 'config.yaml');
    writeFileSync(
      cfg,
      gatewayConfig(PLACE, state, auth, broker.url, {
        envelope: { intervalSeconds: 1, placeType: 'berth', dims: { length_m: { value: 250 } } },
        sources: [
          { id: 'gnss0', type: 'nmea-serial', port: ptys[0]!.linkA, baudRate: 9600 },
          { id: 'ais0', type: 'ais-serial', port: ptys[1]!.linkA, baudRate: 38400 },
          { id: 'rfid0', type: 'rfid-em4100', port: ptys[2]!.linkA, baudRate: 9600 },
        ],
      }),
    );
    cli(['config', 'check', cfg]);

    const idle = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    children.push(idle);

    // Embedded demo: spawn to the first observation line (printed after it was signed and committed).
    const t0 = performance.now();
    const demo = spawn(process.execPath, [BIN, 'run', '--embedded', '--state', join(dir, 'demo'), '--port', '0', '--metrics', 'off'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(demo);
    const demoOut = watch(demo);
    await until(() => /^\s+\d+\s+\S+\s+urn:place:/m.test(demoOut.out()), 30_000, 'the first observation of the embedded demo');
    const readyMs = performance.now() - t0;

    const gateway = spawn(process.execPath, [BIN, 'run', '--config', cfg, '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(gateway);
    watch(gateway);
    const devices = await Promise.all(
      ptys.map((p, i) => new Promise<SerialPort>((resolve, reject) => {
        const d = new SerialPort({ path: p.linkB, baudRate: [9600, 38400, 9600][i]! });
        d.once('open', () => resolve(d));
        d.once('error', reject);
      })),
    );
    const aisLines = readFileSync(join(repo, 'test/fixtures/gpsd/daemon/ais-nmea.log'), 'utf8').split('\n').filter((l) => l.startsWith('!'));
    let n = 0;
    const feed = setInterval(() => {
      const t = new Date();
      const hhmmss = `${String(t.getUTCHours()).padStart(2, '0')}${String(t.getUTCMinutes()).padStart(2, '0')}${String(t.getUTCSeconds()).padStart(2, '0')}.00`;
      devices[0]!.write(nmea(`GPGGA,${hhmmss},4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,`));
      devices[1]!.write(aisLines[n++ % aisLines.length] + '\r\n');
      // RDM6300 frame: STX, 10 hex chars of tag, 2 of checksum (XOR of the 5 bytes), ETX.
      const tag = [0x12, 0x00, 0x34, 0x56, 0x78];
      const hex = (b: number) => b.toString(16).toUpperCase().padStart(2, '0');
      devices[2]!.write(Buffer.from(`\x02${tag.map(hex).join('')}${hex(tag.reduce((a, b) => a ^ b, 0))}\x03`, 'latin1'));
    }, 250);
    await new Promise((r) => setTimeout(r, STEADY_MS - 4000));
    const [demoMem, gwMem, idleMem] = await steadyMemory([demo.pid!, gateway.pid!, idle.pid!], 5);
    clearInterval(feed);
    if (gateway.exitCode !== null || demo.exitCode !== null) throw new Error('an agent exited during the steady-state wait');
    for (const d of devices) d.close();

    return {
      'node -e 0 (ms, median of 7)': Math.round(median(bare)),
      'place-agent --help (ms, median of 7)': Math.round(median(help)),
      'ratio --help / node -e 0 (target <= 3)': Math.round((median(help) / median(bare)) * 100) / 100,
      'embedded: first signed observation (ms)': Math.round(readyMs),
      'ratio ready / 1500 ms target (<= 1)': Math.round((readyMs / 1500) * 100) / 100,
      'idle node beside them: RSS (MB)': idleMem!.rssMb,
      'idle node: threads': idleMem!.threads,
      [`embedded: RSS after ${STEADY_MS / 1000} s (MB)`]: demoMem!.rssMb,
      'embedded: threads': demoMem!.threads,
      'ratio embedded RSS / 80 MB target (<= 1)': Math.round((demoMem!.rssMb / 80) * 100) / 100,
      [`gateway, 3 serial sources: RSS after ${STEADY_MS / 1000} s (MB)`]: gwMem!.rssMb,
      'gateway: threads': gwMem!.threads,
      'ratio gateway RSS / 80 MB target (<= 1)': Math.round((gwMem!.rssMb / 80) * 100) / 100,
    };
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    for (const p of ptys) await p.kill();
    await broker.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === import.meta.filename) {
  for (const [k, v] of Object.entries(await benchStartup())) process.stdout.write(`  ${k.padEnd(48)} ${v}\n`);
}
