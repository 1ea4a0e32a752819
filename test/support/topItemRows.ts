/** The spec's columns of an OData feed row, with the Int64 item_count back to a number as GET /api/top-items writes it. */
export function specColumns(row: Record<string, unknown>): Record<string, unknown> {
  return {
    geographical_location_oid: row['geographical_location_oid'],
    geographical_location: row['geographical_location'],
    item_rank: row['item_rank'],
    item_name: row['item_name'],
    item_count: Number(row['item_count']),
    window: row['window'],
    window_start: row['window_start'],
    window_end: row['window_end'],
  };
}
