// Debian's Chromium and the flags it needs here, defined once in the launcher (which installs it).
export { CHROMIUM_ARGS, CHROMIUM_PATH } from '@strata/dev/chromium';
