import { app, type InvocationContext, type Timer } from '@azure/functions';
import { chargesLine, requestMeter } from '../shared/charges';
import { idleRowsCadence, refreshRows } from '../shared/pipeline/refreshRows';
import { getServices } from './services';

/**
 * Timer: writes the Power BI rows that `aggregate` has not, because the feed went idle after a commit
 * or a worker died between a commit and its rows write. It leaves counters committed within the last
 * ROWS_REFRESH_SECONDS to `aggregate` (which refreshes them on its own cadence, with its cache), so
 * the two rarely race; when they do, the counter's ETag decides and the loser's rows stay due.
 */
export async function refreshRowsTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  const services = await getServices();
  const { config } = services;
  const cadenceMs = config.rowsRefreshSeconds * 1000;
  const { result, charges } = await requestMeter.measure(() =>
    idleRowsCadence.maybe(services.clock.now(), cadenceMs, () =>
      refreshRows({
        ...services,
        materializedTop: config.materializedTop,
        hourlyRetentionDays: config.hourlyRetentionDays,
        settledMs: cadenceMs,
      }),
    ),
  );
  if (result && result.due > 0) context.log(`refreshRows: ${JSON.stringify(result)}`);
  context.log(chargesLine('refreshRows', 0, charges));
}

// Every 5 seconds; the handler itself keeps to ROWS_REFRESH_SECONDS (a schedule cannot read a setting
// and stay one number), so an idle counter's rows are at most a cadence plus 5 s behind.
app.timer('refreshRows', { schedule: '*/5 * * * * *', runOnStartup: false, useMonitor: false, handler: refreshRowsTimer });
