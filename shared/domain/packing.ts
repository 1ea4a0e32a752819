/**
 * Event Hubs bills ingress in units of 64 KB per event ("an 8-KB event is billed as one event, but a
 * 96-KB message is billed as two", Event Hubs FAQ), and every event also costs a throughput-unit
 * slot. So detections travel packed: one event's body is a JSON array of as many detections of one
 * camera as fit in the unit. `ingest`, Capture and replay read an array body as rows.
 */
export const EVENT_BILLING_UNIT_BYTES = 64 * 1024;

/** Body bytes per packed event: the billing unit less room for the event's AMQP envelope and properties. */
export const PACKED_BODY_BYTES = EVENT_BILLING_UNIT_BYTES - 1024;

/**
 * Packs JSON row texts, in order, into as few JSON array texts as fit `maxBytes` (UTF-8) each. A
 * row too large to share an event goes alone (Event Hubs still takes it, billed as several units).
 */
export function packRows(rows: readonly string[], maxBytes = PACKED_BODY_BYTES): string[] {
  const bodies: string[] = [];
  let current: string[] = [];
  // "[" and "]", plus one comma per row after the first.
  let size = 2;
  for (const row of rows) {
    const bytes = Buffer.byteLength(row, 'utf8');
    const added = current.length === 0 ? bytes : bytes + 1;
    if (current.length > 0 && size + added > maxBytes) {
      bodies.push(`[${current.join(',')}]`);
      current = [];
      size = 2;
      current.push(row);
      size += bytes;
      continue;
    }
    current.push(row);
    size += added;
  }
  if (current.length > 0) bodies.push(`[${current.join(',')}]`);
  return bodies;
}
