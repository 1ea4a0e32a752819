// Preloaded into the Azurite child (node --require) so that it never outlives the runtime: the
// runtime holds the other end of an IPC channel, which the OS closes when the runtime dies, even
// by kill -9. Azurite is then shut down as on SIGTERM (flushing its metadata), with a hard stop
// as a fallback.
'use strict';

/* global setTimeout */

const HARD_STOP_MS = 5000;

// On a normal stop (SIGTERM from the runtime) the channel is let go too, so nothing keeps the
// process alive once Azurite has closed.
process.once('SIGTERM', () => {
  if (process.connected) process.disconnect();
});

process.once('disconnect', () => {
  process.emit('SIGTERM', 'SIGTERM');
  setTimeout(() => process.exit(0), HARD_STOP_MS).unref();
});
