import { COUNTER_NAMES, type MetricsStore, type PipelineCounters } from '../../shared/ports';
import type { LocalDatabase } from './database';

/** Pipeline counters in one table; an add inside a unit commits or rolls back with it. */
export class SqliteMetricsStore implements MetricsStore {
  constructor(private readonly database: LocalDatabase) {}

  add(delta: Partial<PipelineCounters>): Promise<void> {
    const changes = COUNTER_NAMES.filter((name) => (delta[name] ?? 0) !== 0);
    if (changes.length === 0) return Promise.resolve();
    return this.database.write(() => {
      const upsert = this.database.statement(
        'INSERT INTO metrics (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value',
      );
      for (const name of changes) upsert.run([name, delta[name] ?? 0]);
    });
  }

  read(): Promise<PipelineCounters> {
    return this.database.read(() => {
      const counters = Object.fromEntries(COUNTER_NAMES.map((name) => [name, 0])) as unknown as PipelineCounters;
      for (const row of this.database.statement('SELECT name, value FROM metrics').all() as unknown as { name: string; value: number }[]) {
        if ((COUNTER_NAMES as readonly string[]).includes(row.name)) counters[row.name as keyof PipelineCounters] = row.value;
      }
      return counters;
    });
  }
}
