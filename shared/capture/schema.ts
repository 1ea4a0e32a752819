/**
 * The Avro schema of Event Hubs Capture files, as Capture writes it into each file's header
 * (`avro.schema`): a record `Microsoft.ServiceBus.Messaging.EventData`. The documentation shows the
 * `Properties` map without the `null` branch; files written by the service carry it, so the writer
 * uses that variant. Readers never rely on this constant: they decode with the schema found in the
 * file itself.
 */
export const CAPTURE_SCHEMA = {
  type: 'record',
  name: 'EventData',
  namespace: 'Microsoft.ServiceBus.Messaging',
  fields: [
    { name: 'SequenceNumber', type: 'long' },
    { name: 'Offset', type: 'string' },
    { name: 'EnqueuedTimeUtc', type: 'string' },
    { name: 'SystemProperties', type: { type: 'map', values: ['long', 'double', 'string', 'bytes'] } },
    { name: 'Properties', type: { type: 'map', values: ['long', 'double', 'string', 'bytes', 'null'] } },
    { name: 'Body', type: ['null', 'bytes'] },
  ],
} as const;

/** Capture compresses blocks with deflate. */
export const CAPTURE_CODEC = 'deflate';
