import type { Clock } from '../../shared/ports';
import { systemClock } from '../../shared/ports';
import type { LocalDatabase } from './database';

/**
 * Per-consumer positions (event-log partitions, the change feed, the tallies). Setting one inside a unit commits
 * it atomically with the unit's effects, which is what makes a consumer exactly-once across crashes.
 */
export class CheckpointStore {
  constructor(
    private readonly database: LocalDatabase,
    private readonly clock: Clock = systemClock,
  ) {}

  get(consumer: string): Promise<number | undefined> {
    return this.database.read(() => this.getNow(consumer));
  }

  /** Synchronous read, for startup and for code already inside a unit. */
  getNow(consumer: string): number | undefined {
    const row = this.database.first<{ position: number }>('SELECT position FROM checkpoints WHERE consumer = ?', [consumer]);
    return row?.position;
  }

  set(consumer: string, position: number): Promise<void> {
    return this.database.write(() => {
      this.database
        .statement(
          'INSERT INTO checkpoints (consumer, position, updated_ms) VALUES (?, ?, ?) ON CONFLICT (consumer) DO UPDATE SET position = excluded.position, updated_ms = excluded.updated_ms',
        )
        .run([consumer, position, this.clock.now()]);
    });
  }

  /** Every checkpoint whose consumer name starts with `prefix`. */
  list(prefix = ''): Promise<Map<string, number>> {
    return this.database.read(() => {
      const rows = this.database
        .statement('SELECT consumer, position FROM checkpoints WHERE substr(consumer, 1, length(?1)) = ?1 ORDER BY consumer')
        .all([prefix]) as unknown as { consumer: string; position: number }[];
      return new Map(rows.map((row) => [row.consumer, row.position]));
    });
  }
}
