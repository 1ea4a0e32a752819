/**
 * How the runtime reads stop signals. A signal sent to the whole process group (a service manager,
 * a container runtime) reaches it directly and again relayed by the npm and tsx wrappers within
 * milliseconds, and Ctrl-C in a terminal does the same: signals this close together are one request
 * to stop. A second one typed on purpose comes later and forces the exit.
 */
export const REPEAT_WINDOW_MS = 1_000;

export interface StopSignals {
  /** The first signal: stop gracefully. */
  readonly stop: (signal: NodeJS.Signals) => void;
  /** A later signal, past the repeat window: exit now. */
  readonly force: (signal: NodeJS.Signals) => void;
  readonly now?: () => number;
  readonly windowMs?: number;
}

/** The handler to install for SIGINT and SIGTERM. */
export function stopSignalHandler(actions: StopSignals): (signal: NodeJS.Signals) => void {
  const now = actions.now ?? Date.now;
  const windowMs = actions.windowMs ?? REPEAT_WINDOW_MS;
  let firstAt: number | undefined;
  return (signal) => {
    if (firstAt === undefined) {
      firstAt = now();
      actions.stop(signal);
    } else if (now() - firstAt >= windowMs) actions.force(signal);
  };
}
