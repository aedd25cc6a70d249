// chromium.js: the one way this repository starts Chromium headless (the
// browser tests and the page scripts): Debian's binary, or CHROMIUM_PATH,
// with flags that keep it from reaching the network or updating itself.
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
