/** Where Debian puts Chromium; test tools cannot download a browser of their own here. */
export const CHROMIUM_PATH = process.env.STRATA_CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags for headless Chromium on machines with no network but the loopback, no GPU, as root. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
