/**
 * The configuration schema: one TypeBox definition is both the TypeScript type (Static<>) and
 * the validator. Unknown keys are rejected everywhere (additionalProperties: false).
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const strict = { additionalProperties: false } as const;
export const PlaceUrn = Type.String({ pattern: '^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:[^/#+\\s]+$', description: 'a place URN such as urn:place:DEHAM:berth:42' });
const Port = Type.Integer({ minimum: 1, maximum: 65535 });
const Seconds = (min: number, max: number, def?: number) => Type.Number({ minimum: min, maximum: max, ...(def !== undefined ? { default: def } : {}) });

const SerialPortSpec = {
  port: Type.String({ minLength: 1, description: 'device path (prefer /dev/serial/by-id/... or /dev/place/...) or tcp://host:port' }),
  baudRate: Type.Integer({ minimum: 300, maximum: 4_000_000, default: 9600 }),
  staleSeconds: Seconds(1, 3600, 30),
};

const LatLon = Type.Object({ lat: Type.Number({ minimum: -90, maximum: 90 }), lon: Type.Number({ minimum: -180, maximum: 180 }) }, strict);

/** The rules of agent/domain/place-profile.ts, one object shape per kind. */
const DimensionRuleConfig = Type.Union([
  Type.Object({ kind: Type.Literal('value'), scale: Type.Optional(Type.Number()) }, strict),
  Type.Object(
    {
      kind: Type.Literal('threshold'),
      above: Type.Number(),
      hysteresis: Type.Optional(Type.Number({ minimum: 0 })),
      silentBelow: Type.Optional(Type.Boolean({ description: 'below the threshold the feed says nothing (a meter drawing nothing beside a plug contact)' })),
    },
    strict,
  ),
  Type.Object({ kind: Type.Literal('max-minus'), max: Type.Optional(Type.Number({ description: 'default: the max_kw dimension' })) }, strict),
  Type.Object({ kind: Type.Literal('contact'), invert: Type.Optional(Type.Boolean()) }, strict),
  Type.Object({ kind: Type.Literal('range-below'), clearM: Type.Number({ minimum: 0 }), hysteresisM: Type.Optional(Type.Number({ minimum: 0 })) }, strict),
  Type.Object({ kind: Type.Literal('units-present'), withinM: Type.Optional(Type.Number({ minimum: 0 })), absentIsFalse: Type.Optional(Type.Boolean()) }, strict),
  Type.Object({ kind: Type.Literal('free-count') }, strict),
]);

const FeedConfig = Type.Object(
  {
    source: Type.String({ minLength: 1 }),
    point: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Integer({ minimum: 0 })], { description: 'Modbus profile point name or MCU channel number' })),
    modality: Type.Optional(Type.Union(['gnss', 'ais', 'rfid', 'range', 'meter', 'door', 'mcu'].map((m) => Type.Literal(m)))),
    rule: Type.Optional(DimensionRuleConfig),
  },
  strict,
);

/** One envelope dimension: a configured value, or feeds and a rule (standard ids get defaults from placeType). */
export const DimensionConfig = Type.Object(
  {
    unit: Type.Optional(Type.String({ minLength: 1, maxLength: 16 })),
    value: Type.Optional(Type.Union([Type.Number(), Type.Boolean()], { description: 'a configured constant (quay length, charted depth, rated power)' })),
    rule: Type.Optional(DimensionRuleConfig),
    feeds: Type.Optional(Type.Array(FeedConfig, { maxItems: 32 })),
    freshSeconds: Type.Optional(Seconds(0.1, 86_400)),
    changeDelta: Type.Optional(Type.Number({ minimum: 0 })),
  },
  strict,
);

export const SourceSchemas = {
  'nmea-serial': Type.Object({ id: Type.String({ minLength: 1 }), type: Type.Literal('nmea-serial'), ...SerialPortSpec }, strict),
  gpsd: Type.Object(
    {
      id: Type.String({ minLength: 1 }),
      type: Type.Literal('gpsd'),
      host: Type.String({ default: '127.0.0.1' }),
      port: Type.Optional(Port),
      staleSeconds: Seconds(1, 3600, 30),
    },
    strict,
  ),
  'ais-serial': Type.Object({ id: Type.String({ minLength: 1 }), type: Type.Literal('ais-serial'), ...SerialPortSpec }, strict),
  'rfid-em4100': Type.Object(
    {
      id: Type.String({ minLength: 1 }),
      type: Type.Literal('rfid-em4100'),
      ...SerialPortSpec,
      framing: Type.Union([Type.Literal('rdm6300'), Type.Literal('id12')], { default: 'rdm6300' }),
      holdSeconds: Seconds(0.1, 600, 5),
    },
    strict,
  ),
  'rfid-uhf': Type.Object(
    {
      id: Type.String({ minLength: 1 }),
      type: Type.Literal('rfid-uhf'),
      ...SerialPortSpec,
      holdSeconds: Seconds(0.1, 600, 3),
      rangeM: Type.Number({ minimum: 0.1, maximum: 50, default: 8, description: 'read range: the distance bound a sighting gives' }),
    },
    strict,
  ),
  modbus: Type.Object(
    {
      id: Type.String({ minLength: 1 }),
      type: Type.Literal('modbus'),
      ...SerialPortSpec,
      pollSeconds: Seconds(0.1, 3600, 5),
      timeoutMs: Type.Integer({ minimum: 10, maximum: 10_000, default: 500 }),
      slaves: Type.Array(
        Type.Object({ unit: Type.Integer({ minimum: 1, maximum: 247 }), profile: Type.String({ minLength: 1 }), name: Type.Optional(Type.String()) }, strict),
        { minItems: 1 },
      ),
    },
    strict,
  ),
  mcu: Type.Object(
    {
      id: Type.String({ minLength: 1 }),
      type: Type.Literal('mcu'),
      ...SerialPortSpec,
      heartbeatSeconds: Seconds(0.1, 600, 2),
    },
    strict,
  ),
} as const;

export type SourceType = keyof typeof SourceSchemas;
export type SourceConfig = { [K in SourceType]: Static<(typeof SourceSchemas)[K]> }[SourceType];

/** Base source shape: checked first, then the schema of its `type`. */
export const SourceBase = Type.Object({ id: Type.String({ minLength: 1 }), type: Type.String() });

export const ConfigSchema = Type.Object(
  {
    place: PlaceUrn,
    stateDir: Type.String({ minLength: 1, default: '/var/lib/place-agent', description: 'key, epoch counter, credential and database live here' }),
    signer: Type.Object(
      {
        kind: Type.Union([Type.Literal('software'), Type.Literal('tpm')], { default: 'software' }),
        keyFile: Type.Optional(Type.String({ minLength: 1, description: 'software key; default <stateDir>/device.key' })),
        tcti: Type.Optional(Type.String({ minLength: 1, description: 'tpm2-tools TCTI syntax: device:/dev/tpmrm0 or swtpm:host=127.0.0.1,port=2321' })),
        srkHandle: Type.Optional(Type.Integer({ minimum: 0x81000000, maximum: 0x817fffff, description: 'persistent handle of the storage root key; default 0x81000001' })),
        nvIndex: Type.Optional(Type.Integer({ minimum: 0x01000000, maximum: 0x01ffffff })),
        ownerAuthFile: Type.Optional(Type.String({ minLength: 1, description: 'owner hierarchy auth, read by keys init only (mode 0600, root-owned)' })),
      },
      { ...strict, default: {} },
    ),
    credential: Type.Object(
      {
        file: Type.Optional(Type.String({ minLength: 1, description: 'leaf device credential; default <stateDir>/device.cred' })),
        parents: Type.Array(Type.String({ minLength: 1 }), { default: [], maxItems: 3 }),
      },
      { ...strict, default: {} },
    ),
    trustAnchors: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'trust anchor public keys (COSE_Key files) for inbound grants' }),
    mqtt: Type.Object(
      {
        url: Type.String({ pattern: '^(mqtts?|tcp|tls)://', default: 'mqtt://127.0.0.1:1883' }),
        clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
        protocolVersion: Type.Union([Type.Literal(4), Type.Literal(5)], { default: 5 }),
        username: Type.Optional(Type.String({ minLength: 1 })),
        passwordFile: Type.Optional(Type.String({ minLength: 1, description: 'the MQTT password, read at start; mode 0600 or stricter' })),
        caFile: Type.Optional(Type.String({ minLength: 1, description: 'PEM CA certificates the broker certificate must chain to (mqtts:// only; default: the system store)' })),
        certFile: Type.Optional(Type.String({ minLength: 1, description: 'PEM client certificate for mutual TLS (with keyFile)' })),
        keyFile: Type.Optional(Type.String({ minLength: 1, description: 'PEM private key of certFile; mode 0600 or stricter' })),
        publisherThread: Type.Boolean({ default: false, description: 'publish from a worker thread with its own database connection: for sustained rates of thousands of observations a second; costs about 20 MB and a thread' }),
      },
      { ...strict, default: {} },
    ),
    store: Type.Object(
      {
        path: Type.Optional(Type.String({ minLength: 1, description: 'default <stateDir>/agent.db' })),
        retentionDays: Type.Number({ minimum: 1, maximum: 3650, default: 30 }),
        maxUndelivered: Type.Integer({ minimum: 100, maximum: 100_000_000, default: 1_000_000, description: 'outbox depth past which superseded envelopes are not published (a signed gap says which)' }),
      },
      { ...strict, default: {} },
    ),
    lineage: Type.Object(
      {
        checkpointEvery: Type.Integer({ minimum: 10, maximum: 1_000_000, default: 1000 }),
        checkpointSeconds: Seconds(10, 86_400, 300),
      },
      { ...strict, default: {} },
    ),
    envelope: Type.Object(
      {
        intervalSeconds: Seconds(1, 3600, 10),
        minIntervalSeconds: Seconds(0.1, 3600, 1),
        placeType: Type.Union([Type.Literal('berth'), Type.Literal('charger'), Type.Literal('dock'), Type.Literal('custom')], {
          default: 'custom',
          description: 'gives the standard dimensions (DESIGN.md) their units and default feeds',
        }),
        reliability: Type.Object(
          Object.fromEntries(['gnss', 'ais', 'rfid', 'range', 'meter', 'door', 'mcu'].map((m) => [m, Type.Optional(Type.Number({ minimum: 0, maximum: 1 }))])),
          { ...strict, default: {} },
        ),
        dims: Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_]{0,31}$' }), DimensionConfig, { default: {} }),
      },
      { ...strict, default: {} },
    ),
    presence: Type.Object(
      {
        holdSeconds: Seconds(1, 86_400, 60),
        anchor: Type.Optional(LatLon),
        atPlaceM: Type.Number({ minimum: 1, maximum: 10_000, default: 100, description: 'units farther than this (or their grant tolerance) are not at the place and produce nothing' }),
        minConfidence: Type.Number({ minimum: 0, maximum: 1, default: 0.6 }),
        uncorroboratedFactor: Type.Number({ minimum: 0, maximum: 1, default: 0.7, description: 'confidence multiplier where the place has no physical sensor' }),
        acceptanceConfidence: Type.Number({ minimum: 0, maximum: 1, default: 0.9, description: "identity confidence of a unit's verified acceptance (docs/place-profiles.md)" }),
        maxSpeedKnots: Type.Number({ minimum: 1, maximum: 1000, default: 40, description: 'an AIS position implying a faster move is flagged' }),
        tagConflictSeconds: Seconds(0, 3600, 2),
        budgets: Type.Object(
          {
            windowSeconds: Seconds(60, 30 * 86_400, 3600),
            perUnit: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 16 }),
            perGrant: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 8 }),
            perPlace: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 500 }),
          },
          { ...strict, default: {} },
        ),
      },
      { ...strict, default: {} },
    ),
    position: Type.Optional(
      Type.Object(
        {
          lat: Type.Number({ minimum: -90, maximum: 90 }),
          lon: Type.Number({ minimum: -180, maximum: 180 }),
          alt: Type.Optional(Type.Number()),
          accuracyM: Type.Number({ minimum: 0, maximum: 10_000, default: 5 }),
          maxDriftM: Type.Number({ minimum: 1, maximum: 100_000, default: 100, description: 'a GNSS fix farther than this from the surveyed position is flagged' }),
        },
        strict,
      ),
    ),
    sources: Type.Array(Type.Unknown(), { default: [] }),
    metrics: Type.Object(
      {
        listen: Type.String({ pattern: '^[^:]+:\\d+$', default: '127.0.0.1:9464' }),
        enabled: Type.Boolean({ default: true }),
      },
      { ...strict, default: {} },
    ),
    log: Type.Object({ level: Type.Union([Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')], { default: 'info' }) }, { ...strict, default: {} }),
  },
  strict,
);

export type AgentConfig = Omit<Static<typeof ConfigSchema>, 'sources'> & { sources: SourceConfig[] };
export type { TSchema };
