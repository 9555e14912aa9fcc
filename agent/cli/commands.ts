/**
 * Every `place-agent` command, its flags and its help, in one table. Importing this loads no
 * command: each entry's `load()` imports its implementation only when that command runs, so
 * `--help` and a usage error cost no more than Node itself.
 */
import { defineCommand, type CommandSpec } from './args.ts';

const config = { type: 'string', arg: 'FILE', help: 'the gateway configuration (YAML)' } as const;
const state = { type: 'string', arg: 'DIR', help: 'state directory (key, identity, epoch, database); default ./var' } as const;
const tpm = { type: 'string', arg: 'TCTI', help: 'sign with a TPM: device:/dev/tpmrm0 or swtpm:host=H,port=P' } as const;
const out = { type: 'string', arg: 'FILE', help: 'where to write the result' } as const;
const dir = { type: 'string', arg: 'DIR', help: 'the authority directory (anchor.key, anchor.cose, root.cred)' } as const;

export const RUN_FLAGS = {
  embedded: { type: 'boolean', help: 'the demo: simulated berth, development authority, in-process broker' },
  config,
  port: { type: 'string', arg: 'N', help: 'embedded broker port (demo only; default 1883)' },
  tpm,
  state: { ...state, help: 'state directory (demo only; with --config it is stateDir)' },
  broker: { type: 'string', arg: 'URL', help: 'connect to this broker instead (demo: instead of the embedded one; with --config: overrides mqtt.url)' },
  metrics: { type: 'string', arg: 'HOST:PORT|off', help: 'operations endpoint (/metrics, /healthz, /status.json); default 127.0.0.1:9464 or metrics.listen' },
  'new-chain': { type: 'boolean', help: 'start a declared new chain when the store is missing or replaced but the epoch counter says a chain existed' },
  'log-level': { type: 'string', arg: 'LEVEL', help: 'debug, info, warn or error (demo; with --config: overrides log.level)' },
  quiet: { type: 'boolean', help: 'do not print each observation' },
  'envelope-interval-ms': { type: 'string', arg: 'MS', help: 'demo envelope period (tests use small values for bursts)' },
  'max-undelivered': { type: 'string', arg: 'N', help: 'demo outbox bound past which superseded envelopes are not published' },
} as const;

export const CONFIG_CHECK_FLAGS = {} as const;

export const KEYS_INIT_FLAGS = {
  config,
  state,
  tpm,
  'owner-auth-file': { type: 'string', arg: 'FILE', help: 'TPM owner hierarchy auth, in a file only root can read (default signer.ownerAuthFile)' },
} as const;
export const KEYS_SHOW_FLAGS = {
  config,
  state,
  tpm,
  json: { type: 'boolean', help: 'one JSON object' },
  'public-out': { type: 'string', arg: 'FILE', help: 'also write the public key as a COSE_Key file, to hand to the authority' },
} as const;

export const ENROLL_FLAGS = {
  tpm,
  state: { ...state, help: 'state directory holding the TPM key files (tpm-key.json); default ./var' },
  challenge: { type: 'string', arg: 'FILE', help: "enroll answer: the authority's challenge (authority challenge)" },
  out,
} as const;
export const AUTHORITY_CHALLENGE_FLAGS = {
  dir,
  enrollment: { type: 'string', arg: 'FILE', help: "the device's enrolment request (enroll request)" },
  'ek-ca': { type: 'string', arg: 'CA.pem[,CA.pem]', help: "the TPM manufacturers' CA certificates the EK certificate must chain to" },
  out: { ...out, help: 'challenge file to write; default challenge.json' },
} as const;

export const AUTHORITY_INIT_FLAGS = {
  dir,
  name: { type: 'string', arg: 'URN', default: 'urn:place-authority:dev', help: 'the authority name' },
  places: { type: 'string', arg: 'P[,P]', help: 'places the root covers (URNs, a trailing * allowed); default urn:place:*' },
} as const;
const parentFlags = {
  parent: { type: 'string', arg: 'CRED', help: 'sign under this intermediate credential instead of the directory\'s own' },
  'parent-key': { type: 'string', arg: 'KEY', help: "with --parent: that credential holder's key file" },
  'parent-chain': { type: 'string', arg: 'CRED[,CRED]', help: "with --parent: its parents, the parent's parent first" },
} as const;
export const AUTHORITY_ISSUE_FLAGS = {
  dir,
  subject: { type: 'string', arg: 'URN', help: "the device's issuer URN (keys show prints it)" },
  key: { type: 'string', arg: 'FILE', help: 'the device public key: COSE_Key (keys show --public-out), raw point or PEM public key; never a private key' },
  enrollment: { type: 'string', arg: 'FILE', help: 'a TPM enrolment answer (place-agent enroll answer) instead of --key' },
  places: { type: 'string', arg: 'URN[,URN]', help: 'places the credential covers (a trailing * covers a prefix)' },
  level: { type: 'string', arg: 'LEVEL', default: 'gateway', help: 'gateway, authority, unit or settler' },
  kinds: { type: 'string', arg: 'K[,K]', help: 'kinds it may sign; default: what its level signs' },
  units: { type: 'string', arg: 'U[,U]', help: 'unit patterns it covers; default *' },
  'max-window-ms': { type: 'string', arg: 'MS', default: '86400000', help: 'longest grant window' },
  'max-grace-ms': { type: 'string', arg: 'MS', default: '3600000', help: 'longest grant grace' },
  'max-tolerance-m': { type: 'string', arg: 'M', default: '1000', help: 'widest grant tolerance' },
  days: { type: 'string', arg: 'N', help: "validity in days; default a year or the parent's expiry" },
  depth: { type: 'string', arg: 'N', help: "how many levels it may issue below it; default 0, an authority its parent's - 1" },
  ...parentFlags,
  out: { ...out, help: 'credential file to write; default device.cred' },
} as const;
export const AUTHORITY_GRANT_FLAGS = {
  dir,
  place: { type: 'string', arg: 'URN', help: 'the place the grant is for' },
  reservation: { type: 'string', arg: 'ID', help: 'the reservation id' },
  unit: { type: 'string', arg: 'SCHEME:ID', help: 'who may use it, e.g. mmsi:211331640' },
  start: { type: 'string', arg: 'T', help: 'window start: ms since the epoch or ISO 8601' },
  end: { type: 'string', arg: 'T', help: 'window end, after the start' },
  tolerance: { type: 'string', arg: 'M', default: '50', help: 'position tolerance in metres' },
  grace: { type: 'string', arg: 'MS', default: '60000', help: 'grace after the end' },
  ...parentFlags,
  out: { ...out, help: 'grant file to write; default <reservation>.grant' },
} as const;
export const AUTHORITY_REVOKE_FLAGS = {
  dir,
  credential: { type: 'string', arg: 'FILE[,FILE]', help: 'credentials to revoke (their h() goes on the list)' },
  hash: { type: 'string', arg: 'HEX[,HEX]', help: 'h() of credentials to revoke, 32 bytes in hex' },
  grant: { type: 'string', arg: 'FILE[,FILE]', help: 'grants to revoke (their cti goes on the list)' },
  'grant-cti': { type: 'string', arg: 'HEX[,HEX]', help: 'cti of grants to revoke, 16 bytes in hex' },
  replace: { type: 'boolean', help: "drop the issuer's previous entries (default: the new list keeps them)" },
  seq: { type: 'string', arg: 'N', help: "the list number; default the issuer's last + 1" },
  'next-hours': { type: 'string', arg: 'H', default: '24', help: 'when the next list is due (next_ms), hours from now' },
  ...parentFlags,
  out: { ...out, help: 'also write the list here (it is always kept as DIR/revocations/<issuer kid>.cose)' },
  broker: { type: 'string', arg: 'URL', help: 'publish it retained on pm/v1/authority/<issuer kid>/revocations at this broker' },
  username: { type: 'string', arg: 'NAME', help: 'with --broker: the MQTT login' },
  'password-file': { type: 'string', arg: 'FILE', help: 'with --broker: the MQTT password, in a file only its owner can read' },
  ca: { type: 'string', arg: 'FILE', help: "with an mqtts:// --broker: the CA the broker's certificate must chain to" },
} as const;

export const UNIT_ACCEPT_FLAGS = {
  key: { type: 'string', arg: 'FILE', help: "the unit's key file (keys init --state DIR makes DIR/device.key)" },
  credential: { type: 'string', arg: 'CRED', help: "the unit's credential (authority issue --level unit --units SCHEME:ID)" },
  chain: { type: 'string', arg: 'CRED[,CRED]', help: "the credential's parents, its parent first (e.g. authority/root.cred)" },
  grant: { type: 'string', arg: 'FILE', help: 'the grant to accept' },
  anchor: { type: 'string', multiple: true, arg: 'FILE', help: "the authority's trust anchor: grant and acceptance are checked before anything is written" },
  at: { type: 'string', arg: 'T', help: 'when the unit accepts: ms since the epoch or ISO 8601; default now' },
  lat: { type: 'string', arg: 'DEG', help: "the unit's own latitude (claim 264), with --lon and --accuracy" },
  lon: { type: 'string', arg: 'DEG', help: "the unit's own longitude" },
  accuracy: { type: 'string', arg: 'M', help: 'accuracy of that position in metres' },
  out: { ...out, help: 'acceptance file to write; default <reservation>.accept' },
} as const;

export const VERIFY_FLAGS = {
  anchor: { type: 'string', multiple: true, arg: 'FILE', help: "the authority's trust anchor (COSE_Key)" },
  file: { type: 'string', arg: 'FILE', help: 'a CBOR sequence of signed objects: observations (export, audit export, an audit file), grants, acceptances, settlements, revocation lists, credentials' },
  revocations: { type: 'string', multiple: true, arg: 'FILE', help: 'revocation lists (one, or a CBOR sequence): report what was signed after a revocation, and revoked grants' },
  broker: { type: 'string', arg: 'URL', help: 'collect observations live from this broker' },
  place: { type: 'string', arg: 'URN', help: 'with --broker: the place whose topics to read' },
  count: { type: 'string', arg: 'N', help: 'with --broker: stop after N observations' },
  duration: { type: 'string', arg: 'S', help: 'with --broker: stop after S seconds in all (default 10 when --count is not given)' },
  timeout: { type: 'string', arg: 'S', help: 'with --broker: also stop after S seconds without a new observation' },
  quiet: { type: 'boolean', help: 'only the summary' },
  'require-genesis': { type: 'boolean', help: 'insist the chain starts at seq 1' },
} as const;

export const EXPORT_FLAGS = {
  config,
  state: { ...state, help: 'state directory holding agent.db (default ./var, or stateDir with --config)' },
  db: { type: 'string', arg: 'FILE', help: 'the database file itself' },
  out: { ...out, help: 'the CBOR sequence to write (RFC 8742)' },
  from: { type: 'string', arg: 'SEQ', default: '1', help: 'first seq to export' },
  salvage: { type: 'boolean', help: 'from a damaged database: export every readable row and report the damage' },
} as const;

export const DECODE_FLAGS = {
  port: { type: 'string', arg: 'PATH', help: 'read a serial port instead of stdin' },
  baud: { type: 'string', arg: 'N', default: '9600', help: 'serial speed' },
} as const;

export const STATUS_FLAGS = {
  url: { type: 'string', arg: 'URL', help: 'the ops endpoint; default http://127.0.0.1:9464 or metrics.listen with --config' },
  config: { ...config, help: 'the gateway configuration: its metrics.listen, and its identity to check against' },
  state: { ...state, help: "check that the agent answering is this state directory's device" },
  json: { type: 'boolean', help: 'the snapshot as JSON' },
  once: { type: 'boolean', help: 'one snapshot, then exit' },
} as const;

export const DECODERS = ['nmea', 'ais', 'rfid-em4100', 'rfid-uhf-r200', 'modbus', 'mcu'] as const;

export const COMMANDS: readonly CommandSpec[] = [
  defineCommand({
    name: 'run',
    summary: 'start the agent (npm start = run --embedded)',
    usage: '(--embedded | --config FILE) [flags]',
    flags: RUN_FLAGS,
    examples: ['place-agent run --embedded --port 1884', 'place-agent run --config /etc/place-agent/config.yaml'],
    notes: 'With --config, --broker, --metrics and --log-level override the file (each override is printed); --port, --state, --tpm and the demo flags are refused.',
    load: async () => (await import('./run.ts')).runCommand,
  }),
  defineCommand({
    name: 'config check',
    summary: 'check a configuration as run would, short of opening devices',
    usage: 'FILE',
    positionals: [{ name: 'FILE', help: 'the configuration (YAML)' }],
    flags: CONFIG_CHECK_FLAGS,
    examples: ['place-agent config check /etc/place-agent/config.yaml'],
    load: async () => (await import('./config-cmd.ts')).configCheckCommand,
  }),
  defineCommand({
    name: 'config ip-allow',
    summary: "print the systemd drop-in that lets the unit reach the configuration's broker and DNS (IPAddressAllow=)",
    usage: 'FILE',
    positionals: [{ name: 'FILE', help: 'the configuration (YAML)' }],
    flags: CONFIG_CHECK_FLAGS,
    examples: ['place-agent config ip-allow /etc/place-agent/config.yaml > /etc/systemd/system/place-agent.service.d/ip-allow.conf'],
    load: async () => (await import('./config-cmd.ts')).configIpAllowCommand,
  }),
  defineCommand({
    name: 'keys init',
    summary: 'create the device key (0600) and identity, or the TPM key and epoch counter',
    usage: '[--config FILE | --state DIR] [--tpm TCTI]',
    flags: KEYS_INIT_FLAGS,
    refused: { 'owner-auth': 'the owner auth is never taken from the command line (every local user can read /proc/PID/cmdline): put it in a file only root can read and pass --owner-auth-file FILE' },
    examples: ['place-agent keys init --config /etc/place-agent/config.yaml'],
    load: async () => (await import('./keys.ts')).keysInitCommand,
  }),
  defineCommand({
    name: 'keys show',
    summary: "print the device's key id, public key, issuer and epoch",
    usage: '[--config FILE | --state DIR] [--tpm TCTI] [--json] [--public-out FILE]',
    flags: KEYS_SHOW_FLAGS,
    examples: ['place-agent keys show --state var --public-out device.pub.cose'],
    load: async () => (await import('./keys.ts')).keysShowCommand,
  }),
  defineCommand({
    name: 'enroll request',
    summary: "TPM enrolment, step 1: the request (EK certificate and attestation key) to send to the authority",
    usage: '--tpm TCTI [--state DIR] --out FILE',
    flags: ENROLL_FLAGS,
    examples: ['place-agent enroll request --tpm device:/dev/tpmrm0 --state /var/lib/place-agent --out request.json'],
    load: async () => (await import('./enroll.ts')).enrollRequestCommand,
  }),
  defineCommand({
    name: 'enroll answer',
    summary: "TPM enrolment, step 3: the TPM's answer to the authority's challenge, with the signing key certified",
    usage: '--tpm TCTI [--state DIR] --challenge FILE --out FILE',
    flags: ENROLL_FLAGS,
    examples: ['place-agent enroll answer --tpm device:/dev/tpmrm0 --challenge challenge.json --out answer.json'],
    load: async () => (await import('./enroll.ts')).enrollAnswerCommand,
  }),
  defineCommand({
    name: 'authority init',
    summary: 'create a development place authority (trust anchor and root credential)',
    usage: '--dir DIR [--name URN] [--places P,P]',
    flags: AUTHORITY_INIT_FLAGS,
    examples: ['place-agent authority init --dir authority --name urn:place-authority:hamburg'],
    load: async () => (await import('./authority.ts')).authorityInitCommand,
  }),
  defineCommand({
    name: 'authority challenge',
    summary: "TPM enrolment, step 2: check a device's EK certificate and seal a challenge to it",
    usage: '--dir DIR --enrollment REQUEST --ek-ca CA.pem[,CA.pem] [--out FILE]',
    flags: AUTHORITY_CHALLENGE_FLAGS,
    examples: ['place-agent authority challenge --dir authority --enrollment request.json --ek-ca manufacturer-ca.pem'],
    load: async () => (await import('./authority.ts')).authorityChallengeCommand,
  }),
  defineCommand({
    name: 'authority issue',
    summary: 'issue a device credential for a public key or an enrolment request',
    usage: '--dir DIR --subject URN (--key FILE | --enrollment FILE) --places URN[,URN] [flags]',
    flags: AUTHORITY_ISSUE_FLAGS,
    examples: ['place-agent authority issue --dir authority --subject urn:place-agent:01… --key device.pub.cose --places urn:place:DEHAM:berth:42'],
    load: async () => (await import('./authority.ts')).authorityIssueCommand,
  }),
  defineCommand({
    name: 'authority grant',
    summary: 'sign a grant: a reservation of a place for a unit over a window',
    usage: '--dir DIR --place URN --reservation ID --unit SCHEME:ID --start T --end T [flags]',
    flags: AUTHORITY_GRANT_FLAGS,
    examples: ['place-agent authority grant --dir authority --place urn:place:DEHAM:berth:42 --reservation R1 --unit mmsi:211331640 --start 2026-12-01T08:00Z --end 2026-12-01T20:00Z'],
    load: async () => (await import('./authority.ts')).authorityGrantCommand,
  }),
  defineCommand({
    name: 'authority revoke',
    summary: "make the issuer's next revocation list (seq + 1, previous entries kept) and optionally publish it retained",
    usage: '--dir DIR [--credential FILE,..] [--hash HEX,..] [--grant FILE,..] [--grant-cti HEX,..] [--replace] [--broker URL] [flags]',
    flags: AUTHORITY_REVOKE_FLAGS,
    examples: [
      'place-agent authority revoke --dir authority --credential device.cred --broker mqtt://127.0.0.1:1883',
      'place-agent authority revoke --dir authority --parent authority/grantor.cred --parent-key authority/grantor.key --grant R1.grant',
    ],
    notes: "Signed by the directory's root credential unless --parent names an authority credential; a gateway, unit or settler credential may not sign a list and is refused. Gateways honour a list for credentials at or below its issuer, and grants signed by the issuer or under it.",
    load: async () => (await import('./revoke.ts')).authorityRevokeCommand,
  }),
  defineCommand({
    name: 'unit accept',
    summary: "sign a unit's acceptance of a grant (what a vessel, truck or vehicle sends back)",
    usage: '--key FILE --credential CRED [--chain CRED,CRED] --grant FILE --anchor FILE [--at T] [--lat DEG --lon DEG --accuracy M] [--out FILE]',
    flags: UNIT_ACCEPT_FLAGS,
    examples: ['place-agent unit accept --key unit/device.key --credential unit.cred --chain authority/root.cred --grant R1.grant --anchor authority/anchor.cose'],
    notes: 'The grant is checked as at the acceptance time, and the acceptance as every gateway and settler checks it (verifyAcceptance): one that would be refused is not written.',
    load: async () => (await import('./unit.ts')).unitAcceptCommand,
  }),
  defineCommand({
    name: 'verify',
    summary: 'verify observations and every other signed object from a file or a live broker with nothing but the trust anchor',
    usage: '--anchor FILE (--file FILE | --broker URL --place URN [--count N] [--duration S]) [--revocations FILE]...',
    flags: VERIFY_FLAGS,
    examples: [
      'place-agent verify --anchor var/authority/anchor.cose --file chain.cbor',
      'place-agent verify --anchor var/authority/anchor.cose --broker mqtt://127.0.0.1:1883 --place urn:place:DEMO:berth:1 --duration 30',
      'place-agent verify --anchor anchor.cose --file audit.cbor --revocations authority/revocations/<kid>.cose',
    ],
    notes: 'From a broker it stops at --count, at --duration (10 s when neither is given) or on Ctrl-C, and prints the summary of what it collected in each case.',
    load: async () => (await import('./verify.ts')).verifyCommand,
  }),
  defineCommand({
    name: 'export',
    summary: 'write the chain from the store as a CBOR sequence (RFC 8742) that verify reads',
    usage: '[--config FILE | --state DIR | --db FILE] --out FILE [--from SEQ] [--salvage]',
    flags: EXPORT_FLAGS,
    examples: ['place-agent export --config /etc/place-agent/config.yaml --out chain.cbor'],
    load: async () => (await import('./export.ts')).exportCommand,
  }),
  defineCommand({
    name: 'audit export',
    summary: 'the whole history: audit files (pruned by retention) then the store, as one CBOR sequence',
    usage: '[--config FILE | --state DIR] --out FILE [--salvage]',
    flags: { config: EXPORT_FLAGS.config, state: EXPORT_FLAGS.state, out: EXPORT_FLAGS.out, salvage: EXPORT_FLAGS.salvage },
    examples: ['place-agent audit export --config /etc/place-agent/config.yaml --out audit.cbor'],
    load: async () => (await import('./export.ts')).auditExportCommand,
  }),
  defineCommand({
    name: 'decode',
    summary: 'decode raw bytes from stdin or a serial port; one JSON line per message, rejects on stderr',
    usage: '<codec> [--port PATH --baud N]',
    positionals: [{ name: 'codec', help: 'which decoder', choices: DECODERS }],
    flags: DECODE_FLAGS,
    examples: ['place-agent decode nmea < capture.nmea', 'place-agent decode modbus --port /dev/ttyUSB0 --baud 9600'],
    load: async () => (await import('./decode.ts')).decodeCommand,
  }),
  defineCommand({
    name: 'status',
    summary: 'the running agent at a glance (live in a terminal; --once or --json for scripts)',
    usage: '[--url URL | --config FILE] [--state DIR] [--json] [--once]',
    flags: STATUS_FLAGS,
    examples: ['place-agent status --config /etc/place-agent/config.yaml --once'],
    load: async () => (await import('./status.ts')).statusCommand,
  }),
];

/** The command named by the leading words of argv, and the rest of argv. */
export function findCommand(argv: readonly string[]): { spec: CommandSpec; rest: string[] } | { group: string; specs: CommandSpec[] } | undefined {
  const two = argv.slice(0, 2).join(' ');
  const byTwo = COMMANDS.find((c) => c.name === two);
  if (byTwo) return { spec: byTwo, rest: argv.slice(2) };
  const byOne = COMMANDS.find((c) => c.name === argv[0]);
  if (byOne) return { spec: byOne, rest: argv.slice(1) };
  const group = COMMANDS.filter((c) => c.name.startsWith(`${argv[0]} `));
  return group.length ? { group: argv[0]!, specs: group } : undefined;
}
