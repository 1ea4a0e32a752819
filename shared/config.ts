import { z } from 'zod';

/**
 * Every setting the code reads, declared once. `loadConfig` reads and validates them all at startup
 * and fails with a message naming each missing or malformed setting. Identity-based connections are
 * the default; a plain connection string is accepted only for the local emulators.
 */
export type Host = 'azure' | 'local';

export interface SettingSpec {
  readonly name: string;
  readonly hosts: readonly Host[];
  readonly description: string;
  /** Default per host; absent means required on that host. */
  readonly defaults?: Partial<Record<Host, string>>;
}

/** Named connections, as the Functions host resolves them: `<NAME>__<property>` or `<NAME>` (emulators). */
export const CONNECTIONS = {
  eventHubs: { prefix: 'EventHubConnection', endpointProperty: 'fullyQualifiedNamespace' },
  cosmos: { prefix: 'CosmosDbConnection', endpointProperty: 'accountEndpoint' },
  storage: { prefix: 'DataStorage', endpointProperty: 'blobServiceUri' },
} as const;
export type ConnectionName = keyof typeof CONNECTIONS;

const connectionSettings: SettingSpec[] = Object.values(CONNECTIONS).flatMap(({ prefix, endpointProperty }) => [
  {
    name: `${prefix}__${endpointProperty}`,
    hosts: ['azure'],
    description: `Endpoint of the ${prefix} connection, used with Microsoft Entra ID (managed identity in Azure, your az login locally).`,
  },
  {
    name: `${prefix}__credential`,
    hosts: ['azure'],
    defaults: { azure: '' },
    description: `Set to "managedidentity" to use the app's managed identity for ${prefix}; empty uses DefaultAzureCredential.`,
  },
  {
    name: `${prefix}__clientId`,
    hosts: ['azure'],
    defaults: { azure: '' },
    description: `Client id of the user-assigned managed identity for ${prefix}.`,
  },
]);

export const SETTINGS: readonly SettingSpec[] = [
  ...connectionSettings,
  { name: 'EVENTHUB_NAME', hosts: ['azure'], defaults: { azure: 'detections' }, description: 'Event hub that carries the detections.' },
  {
    name: 'EVENTHUB_CONSUMER_GROUP',
    hosts: ['azure'],
    defaults: { azure: 'functions' },
    description: 'Consumer group of the ingest trigger.',
  },
  { name: 'COSMOS_DATABASE', hosts: ['azure'], defaults: { azure: 'camera' }, description: 'Cosmos DB database.' },
  {
    name: 'COSMOS_DEDUP_CONTAINER',
    hosts: ['azure'],
    defaults: { azure: 'dedup' },
    description: 'Dedup container (partition key /pk, TTL on).',
  },
  {
    name: 'COSMOS_TALLIES_CONTAINER',
    hosts: ['azure'],
    defaults: { azure: 'tallies' },
    description: 'Tallies between the two aggregation stages (partition key /pk, TTL on); read by `aggregate`.',
  },
  {
    name: 'COSMOS_TOPITEMS_CONTAINER',
    hosts: ['azure'],
    defaults: { azure: 'topitems' },
    description: 'Per-location counters and top-item rows (partition key /locationOid).',
  },
  {
    name: 'COSMOS_LEASES_CONTAINER',
    hosts: ['azure'],
    defaults: { azure: 'leases' },
    description: 'Change-feed leases (partition key /id), created by the infrastructure.',
  },
  {
    name: 'REFERENCE_CONTAINER',
    hosts: ['azure', 'local'],
    defaults: { azure: 'reference', local: 'reference' },
    description: 'Blob container holding Dataset B.',
  },
  {
    name: 'DATASET_B_BLOB',
    hosts: ['azure', 'local'],
    defaults: { azure: 'locations.csv', local: 'locations.csv' },
    description: 'Blob name of Dataset B (.csv, .jsonl, .json or .parquet).',
  },
  {
    name: 'DEADLETTER_CONTAINER',
    hosts: ['azure', 'local'],
    defaults: { azure: 'deadletter', local: 'deadletter' },
    description: 'Blob container for rejected events and their reasons.',
  },
  {
    name: 'CAPTURE_CONTAINER',
    hosts: ['azure', 'local'],
    defaults: { azure: 'capture', local: 'capture' },
    description: 'Blob container of Event Hubs Capture files.',
  },
  {
    name: 'DEDUP_TTL_SECONDS',
    hosts: ['azure', 'local'],
    defaults: { azure: '86400', local: '3600' },
    description: 'Dedup horizon: how long a detection id is remembered, from when it was first stored.',
  },
  {
    name: 'DEDUP_PARTITIONS',
    hosts: ['azure', 'local'],
    defaults: { azure: '64', local: '64' },
    description: 'Logical partitions of the dedup store. Never change it while dedup records live.',
  },
  {
    name: 'MATERIALIZED_TOP',
    hosts: ['azure', 'local'],
    defaults: { azure: '10', local: '10' },
    description: 'How many ranks per location and window are kept as flat rows for Power BI.',
  },
  {
    name: 'ROWS_REFRESH_SECONDS',
    hosts: ['azure', 'local'],
    defaults: { azure: '10', local: '10' },
    description: 'How often the flat Power BI rows are rewritten from the counters (only rows that changed).',
  },
  {
    name: 'HOURLY_RETENTION_DAYS',
    hosts: ['azure', 'local'],
    defaults: { azure: '90', local: '90' },
    description: 'Days an hourly counter and its rows are kept after its hour ends; all-time counters never expire.',
  },
  {
    name: 'MAX_BODY_BYTES',
    hosts: ['azure', 'local'],
    defaults: { azure: '1048576', local: '4194304' },
    description: 'Largest POST /api/events body; larger gets 413.',
  },
  {
    name: 'REPLAY_GUARD_MINUTES',
    hosts: ['azure', 'local'],
    defaults: { azure: '15', local: '5' },
    description: 'Safety margin before the dedup horizon that a replay may not cross (upstream retry delay plus replay time).',
  },
  { name: 'PORT', hosts: ['local'], defaults: { local: '7071' }, description: 'Port of the local runtime.' },
  {
    name: 'HOST',
    hosts: ['local'],
    defaults: { local: '127.0.0.1' },
    description: 'Address the local runtime binds to (loopback unless told otherwise).',
  },
  {
    name: 'DATA_DIR',
    hosts: ['local'],
    defaults: { local: '.data' },
    description: 'Where the local runtime keeps its event log, store and Azurite data.',
  },
  {
    name: 'DATASET_B_PATH',
    hosts: ['local'],
    defaults: { local: '' },
    description: 'Dataset B file to upload at startup; empty uses the bundled sample.',
  },
  {
    name: 'STORAGE_CONNECTION',
    hosts: ['local'],
    defaults: { local: '' },
    description: 'Blob storage connection string; empty starts an embedded Azurite under DATA_DIR.',
  },
  {
    name: 'PARTITIONS',
    hosts: ['local'],
    defaults: { local: '4' },
    description: 'Partitions of the local event log (fixed once the log exists).',
  },
  {
    name: 'INGEST_BATCH_SIZE',
    hosts: ['local'],
    // Fewer, bigger ingest commits write each dedup index page once for more events (docs/performance.md).
    defaults: { local: '10000' },
    description: 'Most events a partition pump hands to ingest at once (a read also stops at about 1 MB of events).',
  },
  {
    name: 'CHANGE_BATCH_SIZE',
    hosts: ['local'],
    defaults: { local: '50000' },
    description: 'Most stored detections the tally pump hands to `tally` at once (its `maxItemsPerInvocation`).',
  },
  {
    name: 'CHANGE_LINGER_MS',
    hosts: ['local'],
    defaults: { local: '200' },
    description:
      'How long the tally pump lets stored detections gather before tallying them, unless CHANGE_BATCH_SIZE are already waiting (0 tallies at once).',
  },
  { name: 'CAPTURE_WINDOW_SECONDS', hosts: ['local'], defaults: { local: '60' }, description: 'Capture file time window.' },
  {
    name: 'CAPTURE_WINDOW_BYTES',
    hosts: ['local'],
    // An open window is held in memory until it is cut: 2 MiB keeps the runtime under its memory target at full speed.
    defaults: { local: '2097152' },
    description: 'Capture file size window (an open window is held in memory).',
  },
  {
    name: 'LOG_LEVEL',
    hosts: ['local'],
    defaults: { local: 'info' },
    description: 'Local runtime log level: debug (also each handler invocation), info, warn or error.',
  },
];

const positiveInt = z.coerce.number().int().positive();
const port = z.coerce.number().int().min(0).max(65535);

export type Connection =
  | { kind: 'identity'; endpoint: string; credential: 'managedidentity' | 'default'; clientId: string | undefined }
  | { kind: 'connectionString'; value: string };

export interface CommonConfig {
  referenceContainer: string;
  datasetBBlob: string;
  deadLetterContainer: string;
  captureContainer: string;
  dedupTtlSeconds: number;
  dedupPartitions: number;
  materializedTop: number;
  maxBodyBytes: number;
  replayGuardMinutes: number;
}

export interface AzureConfig extends CommonConfig {
  host: 'azure';
  eventHubs: Connection;
  cosmos: Connection;
  storage: Connection;
  eventHubName: string;
  eventHubConsumerGroup: string;
  cosmosDatabase: string;
  dedupContainer: string;
  talliesContainer: string;
  topItemsContainer: string;
  leasesContainer: string;
}

export interface LocalConfig extends CommonConfig {
  host: 'local';
  port: number;
  bindAddress: string;
  dataDir: string;
  datasetBPath: string | undefined;
  storageConnection: string | undefined;
  partitions: number;
  ingestBatchSize: number;
  changeBatchSize: number;
  changeLingerMs: number;
  captureWindowSeconds: number;
  captureWindowBytes: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

class SettingReader {
  readonly problems: string[] = [];
  constructor(
    private readonly env: Env,
    private readonly host: Host,
  ) {}

  raw(name: string): string | undefined {
    const spec = SETTINGS.find((setting) => setting.name === name);
    if (!spec) throw new Error(`setting ${name} is not declared in SETTINGS`);
    const value = this.env[name];
    if (value !== undefined && value !== '') return value;
    return spec.defaults?.[this.host];
  }

  text(name: string): string {
    const value = this.raw(name);
    if (value === undefined || value === '') {
      this.problems.push(`${name} is missing: ${describeSetting(name)}`);
      return '';
    }
    return value;
  }

  optional(name: string): string | undefined {
    const value = this.raw(name);
    return value === undefined || value === '' ? undefined : value;
  }

  parsed<T>(name: string, schema: z.ZodType<T>, expectation: string): T {
    const result = schema.safeParse(this.text(name));
    if (result.success) return result.data;
    if (this.env[name] !== undefined) this.problems.push(`${name} must be ${expectation}, got "${this.env[name]}"`);
    return undefined as T;
  }

  connection(name: ConnectionName): Connection {
    const { prefix, endpointProperty } = CONNECTIONS[name];
    const connectionString = this.env[prefix];
    if (connectionString) return { kind: 'connectionString', value: connectionString };
    const endpoint = this.text(`${prefix}__${endpointProperty}`);
    const credential = this.optional(`${prefix}__credential`);
    if (credential !== undefined && credential !== 'managedidentity') {
      this.problems.push(`${prefix}__credential must be "managedidentity" or empty, got "${credential}"`);
    }
    return {
      kind: 'identity',
      endpoint,
      credential: credential === 'managedidentity' ? 'managedidentity' : 'default',
      clientId: this.optional(`${prefix}__clientId`),
    };
  }

  common(): CommonConfig {
    return {
      referenceContainer: this.text('REFERENCE_CONTAINER'),
      datasetBBlob: this.text('DATASET_B_BLOB'),
      deadLetterContainer: this.text('DEADLETTER_CONTAINER'),
      captureContainer: this.text('CAPTURE_CONTAINER'),
      dedupTtlSeconds: this.parsed('DEDUP_TTL_SECONDS', positiveInt, 'a positive number of seconds'),
      dedupPartitions: this.parsed('DEDUP_PARTITIONS', positiveInt.max(10_000), 'a whole number from 1 to 10000'),
      // A Cosmos DB transactional batch holds at most 100 operations: the counter plus its rows.
      materializedTop: this.parsed('MATERIALIZED_TOP', positiveInt.max(99), 'a whole number from 1 to 99'),
      maxBodyBytes: this.parsed('MAX_BODY_BYTES', positiveInt, 'a positive number of bytes'),
      replayGuardMinutes: this.parsed('REPLAY_GUARD_MINUTES', z.coerce.number().int().min(0), 'a whole number of minutes'),
    };
  }

  done<T>(config: T): T {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
    return config;
  }
}

function describeSetting(name: string): string {
  return SETTINGS.find((setting) => setting.name === name)?.description ?? '';
}

export function loadAzureConfig(env: Env = process.env): AzureConfig {
  const read = new SettingReader(env, 'azure');
  return read.done({
    host: 'azure',
    ...read.common(),
    eventHubs: read.connection('eventHubs'),
    cosmos: read.connection('cosmos'),
    storage: read.connection('storage'),
    eventHubName: read.text('EVENTHUB_NAME'),
    eventHubConsumerGroup: read.text('EVENTHUB_CONSUMER_GROUP'),
    cosmosDatabase: read.text('COSMOS_DATABASE'),
    dedupContainer: read.text('COSMOS_DEDUP_CONTAINER'),
    talliesContainer: read.text('COSMOS_TALLIES_CONTAINER'),
    topItemsContainer: read.text('COSMOS_TOPITEMS_CONTAINER'),
    leasesContainer: read.text('COSMOS_LEASES_CONTAINER'),
  });
}

export function loadLocalConfig(env: Env = process.env): LocalConfig {
  const read = new SettingReader(env, 'local');
  return read.done({
    host: 'local',
    ...read.common(),
    port: read.parsed('PORT', port, 'a port number'),
    bindAddress: read.text('HOST'),
    dataDir: read.text('DATA_DIR'),
    datasetBPath: read.optional('DATASET_B_PATH'),
    storageConnection: read.optional('STORAGE_CONNECTION'),
    partitions: read.parsed('PARTITIONS', positiveInt.max(256), 'a whole number from 1 to 256'),
    ingestBatchSize: read.parsed('INGEST_BATCH_SIZE', positiveInt, 'a positive whole number'),
    changeBatchSize: read.parsed('CHANGE_BATCH_SIZE', positiveInt, 'a positive whole number'),
    changeLingerMs: read.parsed(
      'CHANGE_LINGER_MS',
      z.coerce.number().int().min(0).max(60_000),
      'a whole number of milliseconds from 0 to 60000',
    ),
    captureWindowSeconds: read.parsed('CAPTURE_WINDOW_SECONDS', positiveInt, 'a positive number of seconds'),
    captureWindowBytes: read.parsed('CAPTURE_WINDOW_BYTES', positiveInt, 'a positive number of bytes'),
    logLevel: read.parsed('LOG_LEVEL', z.enum(['debug', 'info', 'warn', 'error']), 'one of debug, info, warn, error'),
  });
}
