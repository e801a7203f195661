/** Debian's Chromium, which tests and benchmarks drive headless (CHROMIUM_PATH overrides it). */
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
