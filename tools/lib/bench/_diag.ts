// temporary diagnostic, not part of the deliverable
import { Database } from 'node-sqlite3-wasm';
import { createGenerator } from './workload';
const [dbPath, eventsArg, latencyArg] = process.argv.slice(2);
const stream = { seed: 42, locations: 100, items: 50, skew: 1, duplicates: 0.05, late: 0.02, invalid: 0, largeIds: 0.1 };
const gen = createGenerator(stream);
const first = new Map<string, string>();
const total = Number(eventsArg) + Number(latencyArg);
for (let i = 0; i < total; i += 1) {
  const e = gen.next();
  const b = e.body as Record<string, unknown>;
  const oid = String(b['detection_oid']);
  if (!first.has(oid)) first.set(oid, `${String(b['geographical_location_oid'])}|${String(b['item_name'])}`);
}
console.log('generated', total, 'distinct', first.size, gen.truth.totals);
const db = new Database(dbPath!, { readOnly: true });
const rows = db.all('SELECT id, facts FROM dedup') as { id: string; facts: string }[];
let wrong = 0; let missing = 0; const shown: string[] = [];
for (const row of rows) {
  const f = JSON.parse(row.facts) as { locationOid: string; itemName: string };
  const expected = first.get(row.id);
  if (expected === undefined) { missing += 1; continue; }
  if (expected !== `${f.locationOid}|${f.itemName}`) { wrong += 1; if (shown.length < 5) shown.push(`${row.id}: stored ${f.locationOid}|${f.itemName}, first ${expected}`); }
}
console.log('dedup rows', rows.length, 'not in stream (probes)', missing, 'stored facts differ from first copy', wrong, shown);
// counters vs dedup-derived counts
const sums = new Map<string, number>();
for (const row of rows) { const f = JSON.parse(row.facts) as { locationOid: string; itemName: string }; const k = `${f.locationOid}|${f.itemName}`; sums.set(k, (sums.get(k) ?? 0) + 1); }
const counters = db.all("SELECT location_oid, state FROM counters WHERE time_window = 'all'") as { location_oid: string; state: string }[];
let diff = 0; const dshown: string[] = [];
for (const c of counters) {
  const st = JSON.parse(c.state) as { items: { name: string; count: number }[] };
  for (const it of st.items) { const k = `${c.location_oid}|${it.name}`; const d = it.count - (sums.get(k) ?? 0); if (d !== 0) { diff += 1; if (dshown.length < 5) dshown.push(`${k}: counter ${it.count}, dedup ${sums.get(k) ?? 0}`); } }
}
console.log('counter(all) entries differing from the dedup table', diff, dshown);
db.close();
