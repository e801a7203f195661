import type { Screen } from '../../../protocol/index.ts';
import { virtualScreen } from './injector-sendinput.ts';
import type { Handle, Win32 } from './win32-api.ts';
import { decodeMonitorInfo, monitorInfoBuffer, type MonitorInfo } from './win32-structs.ts';

/** Screens from monitor rectangles: `m<i>` ids, the device name (`\\.\DISPLAY1`) shortened to "Screen N", one primary. */
export function screensFromMonitors(monitors: readonly MonitorInfo[]): Screen[] {
  const screens = monitors
    .filter((m) => m.width > 0 && m.height > 0)
    .slice(0, 16)
    .map((m, i) => ({ id: `m${i}`, name: /DISPLAY(\d+)$/i.exec(m.device) ? `Screen ${/DISPLAY(\d+)$/i.exec(m.device)![1]}` : `Screen ${i + 1}`, x: m.x, y: m.y, width: Math.min(16384, m.width), height: Math.min(16384, m.height), primary: m.primary }));
  if (!screens.some((s) => s.primary) && screens[0]) screens[0].primary = true;
  return screens;
}

/**
 * Lists the monitors with EnumDisplayMonitors and GetMonitorInfoW (physical
 * pixels once the process is DPI aware); the whole virtual screen when the
 * enumeration gives nothing.
 */
export function listMonitors(api: Win32): Screen[] {
  const found: MonitorInfo[] = [];
  const { callback, release } = api.registerMonitorCallback((monitor: Handle) => {
    const info = monitorInfoBuffer();
    if (api.GetMonitorInfoW(monitor, info)) found.push(decodeMonitorInfo(info));
    return found.length < 16;
  });
  try {
    api.EnumDisplayMonitors(null, null, callback, 0);
  } finally {
    release();
  }
  const screens = screensFromMonitors(found);
  if (screens.length > 0) return screens;
  const v = virtualScreen(api);
  return [{ id: 'virtual', name: 'Whole screen', x: v.x, y: v.y, width: v.width, height: v.height, primary: true }];
}
