/**
 * Blob names of Capture files in the default naming convention
 * `{Namespace}/{EventHub}/{PartitionId}/{Year}/{Month}/{Day}/{Hour}/{Minute}/{Second}`, every time
 * part a zero-padded UTC number (two digits, four for the year), with the `.avro` extension:
 * `ns/detections/3/2026/11/22/10/05/00.avro`.
 */
export interface CaptureLocation {
  readonly namespace: string;
  readonly eventHub: string;
}

export interface CaptureBlobName extends CaptureLocation {
  readonly partitionId: string;
  /** The time in the name, in whole seconds (UTC), as epoch milliseconds. */
  readonly timeMs: number;
  readonly name: string;
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

function checkSegment(value: string, what: string): void {
  if (value === '' || value.includes('/')) throw new RangeError(`${what} "${value}" cannot be a blob path segment`);
}

/** `{ns}/{hub}/{partition}/YYYY/MM/DD/HH/mm/ss.avro` for the second that `timeMs` falls in. */
export function captureBlobName(location: CaptureLocation, partitionId: string, timeMs: number): string {
  checkSegment(location.namespace, 'namespace');
  checkSegment(location.eventHub, 'event hub');
  checkSegment(partitionId, 'partition id');
  const time = new Date(timeMs);
  if (Number.isNaN(time.getTime())) throw new RangeError(`invalid capture time ${timeMs}`);
  return [
    location.namespace,
    location.eventHub,
    partitionId,
    pad(time.getUTCFullYear(), 4),
    pad(time.getUTCMonth() + 1),
    pad(time.getUTCDate()),
    pad(time.getUTCHours()),
    pad(time.getUTCMinutes()),
    `${pad(time.getUTCSeconds())}.avro`,
  ].join('/');
}

const NAME = /^([^/]+)\/([^/]+)\/([^/]+)\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\/(\d{2})\/(\d{2})(?:\.avro)?$/;

/** The parts of a Capture blob name, or null when the name does not follow the default convention. */
export function parseCaptureBlobName(name: string): CaptureBlobName | null {
  const match = NAME.exec(name);
  if (!match) return null;
  const [, namespace = '', eventHub = '', partitionId = '', ...timeParts] = match;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = timeParts.map(Number);
  const timeMs = Date.UTC(year, month - 1, day, hour, minute, second);
  // Reject names like .../2026/02/30/... that Date.UTC would silently roll over.
  if (captureBlobName({ namespace, eventHub }, partitionId, timeMs) !== withExtension(name)) return null;
  return { namespace, eventHub, partitionId, timeMs, name };
}

function withExtension(name: string): string {
  return name.endsWith('.avro') ? name : `${name}.avro`;
}

/** `{ns}/{hub}/` — everything the event hub captured. */
export function captureHubPrefix(location: CaptureLocation): string {
  return `${location.namespace}/${location.eventHub}/`;
}

/**
 * The name prefixes under one partition folder that together cover [fromMs, toMs): one per UTC hour
 * for spans up to two days, one per day beyond, so that listing stays narrow without issuing
 * thousands of calls for long ranges. Callers still filter the listed names by their time.
 */
export function captureTimePrefixes(fromMs: number, toMs: number): string[] {
  if (!(toMs > fromMs)) return [];
  const hourly = toMs - fromMs <= 48 * 3_600_000;
  const step = hourly ? 3_600_000 : 86_400_000;
  const prefixes: string[] = [];
  for (let start = fromMs - (fromMs % step); start < toMs; start += step) {
    const time = new Date(start);
    const day = `${pad(time.getUTCFullYear(), 4)}/${pad(time.getUTCMonth() + 1)}/${pad(time.getUTCDate())}/`;
    prefixes.push(hourly ? `${day}${pad(time.getUTCHours())}/` : day);
  }
  return prefixes;
}
