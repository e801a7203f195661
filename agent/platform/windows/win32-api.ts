/**
 * The Win32 functions the Windows platform calls, declared once through
 * `koffi` (user32, gdi32, kernel32, shell32). koffi is imported lazily, the
 * first time a Windows part is opened: the Linux agent never loads it.
 * Structures are passed as Buffers encoded by hand (win32-structs.ts), so
 * their layout is unit-tested on Linux. Handles are koffi's opaque pointers.
 * References: https://learn.microsoft.com/en-us/windows/win32/api/winuser/,
 * .../api/wingdi/, .../api/winbase/, .../api/shellapi/.
 */

/** An opaque Win32 handle (HDC, HBITMAP, HGLOBAL, HMONITOR...) as koffi returns it; null is NULL. */
export type Handle = object | null;

export interface Win32 {
  // user32
  GetSystemMetrics(index: number): number;
  GetDC(hwnd: Handle): Handle;
  ReleaseDC(hwnd: Handle, hdc: Handle): number;
  SendInput(count: number, inputs: Buffer, size: number): number;
  OpenClipboard(hwnd: Handle): boolean;
  CloseClipboard(): boolean;
  EmptyClipboard(): boolean;
  GetClipboardData(format: number): Handle;
  SetClipboardData(format: number, data: Handle): Handle;
  EnumDisplayMonitors(hdc: Handle, clip: Handle, callback: unknown, data: number): boolean;
  GetMonitorInfoW(monitor: Handle, info: Buffer): boolean;
  GetCursorPos(point: Buffer): boolean;
  /** MapVirtualKeyW: with MAPVK_VSC_TO_VK_EX (3), the layout's virtual key for a scan code (0xE0xx for extended keys). */
  MapVirtualKeyW(code: number, type: number): number;
  /** The callback type of EnumDisplayMonitors, for koffi.register. */
  registerMonitorCallback(fn: (monitor: Handle) => boolean): { callback: unknown; release: () => void };
  // gdi32
  CreateCompatibleDC(hdc: Handle): Handle;
  CreateDIBSection(hdc: Handle, info: Buffer, usage: number, bits: [Handle], section: Handle, offset: number): Handle;
  SelectObject(hdc: Handle, object: Handle): Handle;
  BitBlt(dst: Handle, x: number, y: number, w: number, h: number, src: Handle, sx: number, sy: number, rop: number): boolean;
  /** BitBlt on one of koffi's worker threads, so a slow copy (~10-40 ms at 720p under Wine) does not hold the event loop. */
  bitBltAsync(dst: Handle, x: number, y: number, w: number, h: number, src: Handle, sx: number, sy: number, rop: number): Promise<boolean>;
  /** An ArrayBuffer over native memory (a DIB section's bits), without a copy. */
  view(pointer: Handle, bytes: number): ArrayBuffer;
  GdiFlush(): boolean;
  DeleteObject(object: Handle): boolean;
  DeleteDC(hdc: Handle): boolean;
  // kernel32
  GlobalAlloc(flags: number, bytes: number): Handle;
  GlobalLock(memory: Handle): Handle;
  GlobalUnlock(memory: Handle): boolean;
  GlobalFree(memory: Handle): Handle;
  GlobalSize(memory: Handle): number;
  /** RtlMoveMemory from native memory into a Buffer. */
  copyToBuffer(dst: Buffer, src: Handle, bytes: number): void;
  /** RtlMoveMemory from a Buffer into native memory. */
  copyFromBuffer(dst: Handle, src: Buffer, bytes: number): void;
  // shell32
  ShellExecuteW(hwnd: Handle, operation: string | null, file: string, parameters: string | null, directory: string | null, show: number): number | bigint;
  /** Makes coordinates physical pixels (per-monitor DPI aware); false when neither API exists. */
  becomeDpiAware(): boolean;
}

let loading: Promise<Win32> | null = null;

/** Loads koffi and declares the functions, once; rejects off Windows or when koffi cannot load. */
export function win32(): Promise<Win32> {
  loading ??= declare();
  return loading;
}

async function declare(): Promise<Win32> {
  if (process.platform !== 'win32') throw new Error('the Win32 API is only on Windows');
  const koffi = (await import('koffi')).default;
  const user32 = koffi.load('user32.dll');
  const gdi32 = koffi.load('gdi32.dll');
  const kernel32 = koffi.load('kernel32.dll');
  const shell32 = koffi.load('shell32.dll');
  const MonitorEnumProc = koffi.proto('bool __stdcall MonitorEnumProc(void *monitor, void *hdc, void *rect, intptr_t data)');
  const optional = (lib: typeof user32, definition: string): ((...args: unknown[]) => unknown) | null => {
    try {
      return lib.func(definition) as (...args: unknown[]) => unknown;
    } catch {
      return null;
    }
  };
  const setContext = optional(user32, 'bool __stdcall SetProcessDpiAwarenessContext(intptr_t context)');
  const setAware = optional(user32, 'bool __stdcall SetProcessDPIAware()');
  const bitBlt = gdi32.func('bool __stdcall BitBlt(void *dst, int x, int y, int w, int h, void *src, int sx, int sy, uint32_t rop)');
  const api: Win32 = {
    GetSystemMetrics: user32.func('int __stdcall GetSystemMetrics(int index)'),
    GetDC: user32.func('void * __stdcall GetDC(void *hwnd)'),
    ReleaseDC: user32.func('int __stdcall ReleaseDC(void *hwnd, void *hdc)'),
    SendInput: user32.func('uint32_t __stdcall SendInput(uint32_t count, uint8_t *inputs, int size)'),
    OpenClipboard: user32.func('bool __stdcall OpenClipboard(void *hwnd)'),
    CloseClipboard: user32.func('bool __stdcall CloseClipboard()'),
    EmptyClipboard: user32.func('bool __stdcall EmptyClipboard()'),
    GetClipboardData: user32.func('void * __stdcall GetClipboardData(uint32_t format)'),
    SetClipboardData: user32.func('void * __stdcall SetClipboardData(uint32_t format, void *data)'),
    EnumDisplayMonitors: user32.func('bool __stdcall EnumDisplayMonitors(void *hdc, void *clip, MonitorEnumProc *callback, intptr_t data)'),
    GetMonitorInfoW: user32.func('bool __stdcall GetMonitorInfoW(void *monitor, uint8_t *info)'),
    GetCursorPos: user32.func('bool __stdcall GetCursorPos(uint8_t *point)'),
    MapVirtualKeyW: user32.func('uint32_t __stdcall MapVirtualKeyW(uint32_t code, uint32_t type)'),
    registerMonitorCallback(fn: (monitor: Handle) => boolean) {
      const callback = koffi.register((monitor: Handle) => fn(monitor), koffi.pointer(MonitorEnumProc));
      return { callback, release: () => koffi.unregister(callback) };
    },
    CreateCompatibleDC: gdi32.func('void * __stdcall CreateCompatibleDC(void *hdc)'),
    CreateDIBSection: gdi32.func('void * __stdcall CreateDIBSection(void *hdc, uint8_t *info, uint32_t usage, _Out_ void **bits, void *section, uint32_t offset)'),
    SelectObject: gdi32.func('void * __stdcall SelectObject(void *hdc, void *object)'),
    BitBlt: bitBlt,
    bitBltAsync: (...args: unknown[]) =>
      new Promise<boolean>((resolve, reject) => {
        bitBlt.async(...args, (err: unknown, ok: boolean) => (err ? reject(err instanceof Error ? err : new Error('BitBlt failed on the worker thread')) : resolve(ok)));
      }),
    view: (pointer: Handle, bytes: number) => koffi.view(pointer, bytes),
    GdiFlush: gdi32.func('bool __stdcall GdiFlush()'),
    DeleteObject: gdi32.func('bool __stdcall DeleteObject(void *object)'),
    DeleteDC: gdi32.func('bool __stdcall DeleteDC(void *hdc)'),
    GlobalAlloc: kernel32.func('void * __stdcall GlobalAlloc(uint32_t flags, size_t bytes)'),
    GlobalLock: kernel32.func('void * __stdcall GlobalLock(void *memory)'),
    GlobalUnlock: kernel32.func('bool __stdcall GlobalUnlock(void *memory)'),
    GlobalFree: kernel32.func('void * __stdcall GlobalFree(void *memory)'),
    GlobalSize: kernel32.func('size_t __stdcall GlobalSize(void *memory)'),
    copyToBuffer: kernel32.func('void __stdcall RtlMoveMemory(uint8_t *dst, void *src, size_t bytes)'),
    copyFromBuffer: kernel32.func('void __stdcall RtlMoveMemory(void *dst, uint8_t *src, size_t bytes)'),
    ShellExecuteW: shell32.func('intptr_t __stdcall ShellExecuteW(void *hwnd, const char16_t *operation, const char16_t *file, const char16_t *parameters, const char16_t *directory, int show)'),
    becomeDpiAware(): boolean {
      // DPI_AWARENESS_CONTEXT_PER_MONITOR_AWARE_V2 = -4 (Windows 10 1703+), else the Vista-era system-wide call.
      if (setContext && setContext(-4)) return true;
      return setAware ? Boolean(setAware()) : false;
    },
  };
  return api;
}
