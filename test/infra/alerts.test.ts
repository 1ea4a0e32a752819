import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PARTITION_LAG_PREFIX } from '../../shared/monitoring/partitionLag';
import { decoratorsOf, infraDir, modules, params, readBicep, resourceBodies, variables } from './bicepText';

/**
 * The alerts, the workbook and the runbook hang together: each alert exists with its threshold and
 * parameters, each log query reads a log line the code really writes, and each alert has its section
 * in docs/operations.md.
 */
const ROOT = path.resolve(__dirname, '../..');
const main = readBicep(path.join(infraDir, 'main.bicep'));
const alerts = readBicep(path.join(infraDir, 'modules/alerts.bicep'));
const operations = readFileSync(path.join(ROOT, 'docs/operations.md'), 'utf8');
const kql = (name: string) => readFileSync(path.join(infraDir, 'monitoring', name), 'utf8');
const source = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

/** The `{ … }` entries of an array variable of alerts.bicep, one object per alert, as text. */
function alertEntries(variable: string): Map<string, string> {
  const start = alerts.source.indexOf(`var ${variable} = [`);
  const end = alerts.source.indexOf('\n]\n', start);
  const entries = new Map<string, string>();
  for (const block of alerts.source
    .slice(start, end)
    .split(/\n {2}\{\n/)
    .slice(1)) {
    const name = /name: '([^']+)'/.exec(block)?.[1];
    if (name) entries.set(name, block);
  }
  return entries;
}
const logAlerts = alertEntries('logAlerts');
const metricAlerts = alertEntries('metricAlerts');

describe('alerts', () => {
  it('are the six the runbook covers', () => {
    expect([...logAlerts.keys()]).toEqual(['partition-lag', 'function-failures', 'dead-letters', 'replay-failed']);
    expect([...metricAlerts.keys()]).toEqual(['cosmos-throttling', 'cosmos-normalized-ru']);
    expect(variables(alerts)).toEqual(['logAlerts', 'metricAlerts']);
  });

  it('notify an action group that emails the alertEmail parameter, when one is given', () => {
    const [group] = [...resourceBodies(alerts, 'Microsoft.Insights/actionGroups@2023-01-01').values()];
    expect(group).toMatch(/emailReceivers: empty\(alertEmail\)\s+\? \[\]/);
    expect(group).toContain('emailAddress: alertEmail');
    const [logRule] = [...resourceBodies(alerts, 'Microsoft.Insights/scheduledQueryRules@2023-12-01').values()];
    const [metricRule] = [...resourceBodies(alerts, 'Microsoft.Insights/metricAlerts@2018-03-01').values()];
    expect(logRule).toMatch(/actionGroups: \[\s+actionGroup\.id\s+\]/);
    expect(metricRule).toContain('actionGroupId: actionGroup.id');
    expect(logRule).toContain('applicationInsights.id');
    expect(metricRule).toContain('cosmos.id');
  });

  it('fire on partition lag over lagAlertMinutes (default 5) for five minutes, per partition', () => {
    const mainParam = params(main).find((param) => param.name === 'lagAlertMinutes');
    expect(mainParam).toMatchObject({ type: 'int', defaultValue: '5' });
    expect(decoratorsOf(main, 'lagAlertMinutes')).toContain('LAG_ALERT_MINUTES');
    const alertsModule = modules(main).find((module) => module.path === 'modules/alerts.bicep');
    expect(alertsModule?.params).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: 'lagAlertMinutes', value: 'lagAlertMinutes' }),
        expect.objectContaining({ key: 'alertEmail', value: 'alertEmail' }),
        expect.objectContaining({ key: 'deadLetterAlertThreshold', value: 'deadLetterAlertThreshold' }),
      ]),
    );
    const lag = logAlerts.get('partition-lag') as string;
    expect(lag).toContain(
      "query: 'let thresholdMinutes = ${lagAlertMinutes};\\n${loadTextContent('../monitoring/partition-lag-alert.kql')}'",
    );
    expect(lag).toContain("frequency: 'PT5M'");
    expect(lag).toContain("dimension: 'partitionId'");
    const query = kql('partition-lag-alert.kql');
    expect(query).toContain(`message startswith "${PARTITION_LAG_PREFIX}"`);
    expect(query).toMatch(/let threshold = thresholdMinutes \* 60/);
    // Behind for five minutes: either every line of the last five minutes is over the threshold, or
    // the latest lag is five minutes (300 s) past it.
    expect(query).toContain('lagSeconds >= threshold + 300');
    expect(query).toContain('recentMin > threshold');
  });

  it('fire on function failures, dead letters over deadLetterAlertThreshold and failed replays', () => {
    expect(logAlerts.get('function-failures')).toContain('let failureThreshold = 3;');
    expect(kql('function-failures-alert.kql')).toMatch(/success == false[\s\S]*failures >= failureThreshold/);
    expect(params(main).find((param) => param.name === 'deadLetterAlertThreshold')?.defaultValue).toBe('100');
    expect(logAlerts.get('dead-letters')).toContain('let deadLetterThreshold = ${deadLetterAlertThreshold};');
    expect(kql('dead-letters-alert.kql')).toMatch(/"ingest: "[\s\S]*summary\.invalid[\s\S]*deadLettered > deadLetterThreshold/);
    const replay = kql('replay-failed-alert.kql');
    expect(replay).toContain('"Host.Triggers.DurableTask"');
    expect(replay).toContain('== "replayOrchestrator"');
    expect(replay).toContain('prop__state) == "Failed"');
    expect(source('functions/replayOrchestrator.ts')).toContain("orchestration('replayOrchestrator'");
  });

  it('fire on Cosmos DB 429s and on normalized RU consumption above 90 %', () => {
    const throttling = metricAlerts.get('cosmos-throttling') as string;
    expect(throttling).toContain("metric: 'TotalRequests'");
    expect(throttling).toMatch(/name: 'StatusCode'\s+operator: 'Include'\s+values: \[\s+'429'\s+\]/);
    const normalized = metricAlerts.get('cosmos-normalized-ru') as string;
    expect(normalized).toContain("metric: 'NormalizedRUConsumption'");
    expect(normalized).toContain('threshold: 90');
    expect(alerts.source).toContain("metricNamespace: 'Microsoft.DocumentDB/databaseAccounts'");
  });

  it('read log lines the functions really write', () => {
    expect(source('functions/ingest.ts')).toContain('context.log(`ingest: ${JSON.stringify(summary)}`)');
    expect(source('functions/ingest.ts')).toContain('context.log(partitionLagLine(lag))');
    expect(source('functions/aggregate.ts')).toContain('context.log(`aggregate: ${JSON.stringify(result.summary)}`)');
    // The functions' own information logs must reach Application Insights.
    const logLevel = (JSON.parse(source('host.json')) as { logging: { logLevel: Record<string, string> } }).logging.logLevel;
    for (const fn of ['ingest', 'tally', 'aggregate']) expect(logLevel[`Function.${fn}.User`]).toBe('Information');
  });

  it('each have a section in docs/operations.md with the KQL that confirms it', () => {
    const sections = new Map(
      operations
        .split(/^## /m)
        .slice(1)
        .map((section) => [section.slice(0, section.indexOf('\n')).trim(), section] as const),
    );
    for (const [name, entry] of [...logAlerts, ...metricAlerts]) {
      const title = /docs\/operations\.md, "([^"]+)"/.exec(entry)?.[1];
      expect({ name, title }).toEqual({ name, title: expect.any(String) as unknown });
      const section = sections.get(title as string);
      expect({ name, hasSection: section !== undefined }).toEqual({ name, hasSection: true });
      // Log alerts are confirmed in KQL; metric alerts with the same metric from the CLI.
      expect(section).toContain(logAlerts.has(name) ? '```kql' : 'az monitor metrics list');
      for (const part of ['**What it means.**', '**How to confirm.**', '**What to do.**']) expect(section).toContain(part);
    }
    expect(operations.split('\n').length).toBeLessThanOrEqual(200);
  });
});

describe('the workbook', () => {
  const workbook = JSON.parse(kql('workbook.json')) as { version: string; items: { content: { query?: string; title?: string } }[] };
  const queries = workbook.items.map((item) => item.content.query).filter((query): query is string => query !== undefined);
  const all = queries.join('\n');

  it('is a workbook document loaded by the Bicep', () => {
    expect(workbook.version).toBe('Notebook/1.0');
    const module = readBicep(path.join(infraDir, 'modules/workbook.bicep'));
    expect(module.source).toContain("serializedData: loadTextContent('../monitoring/workbook.json')");
    expect(modules(main).some((entry) => entry.path === 'modules/workbook.bicep')).toBe(true);
  });

  it("charts ingest rate, duplicates, invalid events, RU by operation, lag and the newest counter's age", () => {
    const titles = workbook.items.map((item) => item.content.title ?? '').join('\n');
    for (const topic of [/Ingest rate/, /Duplicates/, /invalid/, /RU by operation/, /Partition lag/, /Age of the newest counter/])
      expect(titles).toMatch(topic);
    expect(all).toContain('startswith "ingest: "');
    expect(all).toMatch(/s\.duplicates[\s\S]*s\.invalid/);
    expect(all).toContain('startswith "cosmos-charges "');
    expect(all).toContain(`startswith "${PARTITION_LAG_PREFIX}"`);
    expect(all).toContain('startswith "aggregate: "');
    expect(all).toContain('s.counted');
  });
});
