import { InMemoryTallyStore } from './memory';
import type { CountedChange } from '../../shared/domain/tallies';
import { parseTallyDocument, type Tally } from '../../shared/domain/tallies';
import { type AggregateDeps, type AggregateSummary, applyTallies } from '../../shared/pipeline/aggregate';
import { tallyChanges } from '../../shared/pipeline/tally';

/** Tally documents read back as tallies; any document that is not one fails the test. */
export function talliesFrom(documents: readonly unknown[]): Tally[] {
  return documents.map((document) => {
    const parsed = parseTallyDocument(document);
    if (!parsed.ok) throw new Error(parsed.problem);
    return parsed.tally;
  });
}

/** The tallies a store's feed holds from position `from` on, as `aggregate` reads them. */
export function talliesOf(store: InMemoryTallyStore, from = 0): Tally[] {
  return talliesFrom(store.feed().slice(from));
}

/** Both aggregation stages in a row, as the two triggers would run them: tally the changes, fold the new tallies. */
export async function countChanges(
  changes: readonly CountedChange[],
  deps: AggregateDeps & { readonly tallies?: InMemoryTallyStore },
): Promise<AggregateSummary> {
  const tallies = deps.tallies ?? new InMemoryTallyStore();
  const from = tallies.feed().length;
  await tallyChanges(changes, { tallies });
  return applyTallies(talliesOf(tallies, from), deps);
}

/** A change of the dedup feed as the aggregation stages see it: location 1 (Harbour), 2026-11-22 10:15 UTC. */
export function countedChange(
  partition: string,
  sequence: number,
  itemName = 'car',
  overrides: Partial<CountedChange> = {},
): CountedChange {
  return {
    partition,
    sequence,
    detectionOid: `${partition}-${sequence}`,
    locationOid: '1',
    location: 'Harbour',
    itemName,
    timestampMs: Date.UTC(2026, 10, 22, 10, 15),
    ...overrides,
  };
}
