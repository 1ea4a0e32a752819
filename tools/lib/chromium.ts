/**
 * Debian's Chromium, as the preview tool and the browser tests launch it through playwright-core.
 * The flags keep it off the network: this machine has none, and without them Chromium keeps trying.
 */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
