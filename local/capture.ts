import { buildCaptureFile, type CaptureArchive, type CaptureWindow, CaptureRoller } from '../shared/capture';
import type { Clock } from '../shared/ports';
import type { ReadableLog } from './eventlog';
import { describeError, type Logger, throttledWarn } from './log';
import { PartitionFollower } from './pumps/partitionFollower';
import { backoffMs, type WakeSignal } from './pumps/signal';
import type { CheckpointStore, LocalDatabase } from './store';

/** Where the local runtime's Capture files go: `{namespace}/{eventHub}/…` in the capture container. */
export const LOCAL_CAPTURE_LOCATION = { namespace: 'local', eventHub: 'detections' } as const;

/**
 * The log stamps a record when its group commit starts and shows it once fsynced, a few ms later; a
 * window is closed by the clock only this long after its end, so such a record still joins it.
 */
const CLOSE_GRACE_MS = 1000;

/** Where the capture writer keeps its checkpoints: read when it starts, written after each file. */
export interface CaptureCheckpoints {
  getNow(key: string): number | undefined;
  /** Sets every entry in one transaction. */
  commit(entries: readonly (readonly [string, number])[]): Promise<void>;
}

/** The capture checkpoints in the store, on the thread that owns it. */
export function storeCaptureCheckpoints(database: LocalDatabase, checkpoints: CheckpointStore): CaptureCheckpoints {
  return {
    getNow: (key) => checkpoints.getNow(key),
    commit: (entries) =>
      database.unit(async () => {
        for (const [key, value] of entries) await checkpoints.set(key, value);
      }),
  };
}

export interface CaptureWriterOptions {
  readonly log: ReadableLog;
  readonly checkpoints: CaptureCheckpoints;
  readonly archive: CaptureArchive;
  readonly windowSeconds: number;
  readonly windowBytes: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Records read from the log at a time. */
  readonly readBatch?: number;
  /** How long an idle partition waits for new data before looking at the clock again. */
  readonly idlePollMs?: number;
  /** Called after each file is uploaded and checkpointed (tests, metrics). */
  readonly onFile?: (file: { name: string; partition: number; events: number }) => void;
}

/**
 * Event Hubs Capture for the local event log: a consumer of its own (checkpoints
 * `eventlog/capture/<partition>`) that cuts each partition into Avro files by time or size window
 * and uploads them to the capture container, named as Capture names them.
 *
 * The checkpoint moves only after a file's upload succeeded, and only to the end of that file;
 * together with the start second of that file (`capture/start/<partition>`), it is all the state the
 * cutting depends on. After a crash the writer re-reads from there and cuts the same files under
 * the same names, so a file uploaded before the crash is overwritten, never doubled.
 */
export class CaptureWriter extends PartitionFollower {
  private filesWritten = 0;

  constructor(private readonly options: CaptureWriterOptions) {
    super(options.log, options.checkpoints);
  }

  static checkpointKey(partition: number): string {
    return `eventlog/capture/${partition}`;
  }

  static startKey(partition: number): string {
    return `capture/start/${partition}`;
  }

  protected checkpointKeyOf(partition: number): string {
    return CaptureWriter.checkpointKey(partition);
  }

  get files(): number {
    return this.filesWritten;
  }

  protected async run(partition: number): Promise<void> {
    const { log, checkpoints, clock, logger } = this.options;
    const signal = this.signals[partition] as WakeSignal;
    const previousStart = checkpoints.getNow(CaptureWriter.startKey(partition));
    const roller = new CaptureRoller(
      { windowSeconds: this.options.windowSeconds, windowBytes: this.options.windowBytes },
      previousStart ?? null,
    );
    const reader = log.reader(partition, this.position(partition));
    const idleMs = this.options.idlePollMs ?? 1000;
    try {
      while (!this.stopSignal.isStopped) {
        const records = reader.read(this.options.readBatch ?? 1000);
        for (const record of records) {
          const closed = roller.add({
            sequenceNumber: String(record.sequenceNumber),
            enqueuedMs: record.enqueuedTimeMs,
            // A view of the read buffer: the window copies the bytes into its Avro block.
            body: record.body,
          });
          if (closed && !(await this.upload(partition, closed))) return;
        }
        if (records.length > 0) continue;
        // Caught up with the log: every record stored so far has been seen, so a window whose time
        // is over cannot receive more (the log stamps records with the time they are written).
        const due = roller.due(clock.now() - CLOSE_GRACE_MS);
        if (due && !(await this.upload(partition, due))) return;
        const until = roller.openUntilMs;
        await signal.wait(until === null ? idleMs : Math.max(10, Math.min(idleMs, until + CLOSE_GRACE_MS - clock.now())));
      }
      // Graceful stop: what was read goes into a last, shorter file.
      const rest = roller.flush();
      if (rest) await this.upload(partition, rest, 3);
    } catch (error) {
      logger.error(`capture partition ${partition} stopped`, error);
    } finally {
      reader.close();
    }
  }

  /**
   * Uploads one file and then moves the checkpoint past it, retrying with backoff until it works or
   * the writer stops (or `attempts` run out). Returns false if the file was not written; its events
   * stay after the checkpoint and are captured again on the next start.
   */
  private async upload(partition: number, window: CaptureWindow, attempts = Infinity): Promise<boolean> {
    const { archive, checkpoints, logger } = this.options;
    const warn = throttledWarn(logger);
    const file = await buildCaptureFile(archive.location, String(partition), window);
    const next = Number(file.lastSequence) + 1;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await archive.write(file.name, file.bytes);
        await checkpoints.commit([
          [CaptureWriter.checkpointKey(partition), next],
          [CaptureWriter.startKey(partition), window.startMs],
        ]);
        this.committed[partition] = next;
        this.filesWritten += 1;
        logger.debug(`captured ${file.events} events of partition ${partition} to ${file.name}`);
        this.options.onFile?.({ name: file.name, partition, events: file.events });
        return true;
      } catch (error) {
        if (attempt >= attempts) {
          logger.error(`capture: ${file.name} not written after ${attempt} attempts; its events will be captured on the next start`, error);
          return false;
        }
        warn(`capture: writing ${file.name} failed (attempt ${attempt}), will retry: ${describeError(error)}`);
        // While stopping, a few quick retries only: the events are safe in the log either way.
        if (this.stopSignal.isStopped && attempts === Infinity) return this.upload(partition, window, 3);
        await this.stopSignal.sleep(backoffMs(attempt));
      }
    }
  }
}
