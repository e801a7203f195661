import type { Clipboard } from '../clipboard.ts';
import type { Handle, Win32 } from './win32-api.ts';

const CF_UNICODETEXT = 13;
const GMEM_MOVEABLE = 0x0002;
/** The most text read or written at once (the control channel's clipboard limit is lower still). */
const MAX_BYTES = 2 * 1024 * 1024;

/**
 * Clipboard text through user32 (OpenClipboard, GetClipboardData and
 * SetClipboardData with CF_UNICODETEXT). Another program may hold the
 * clipboard open for a moment: opening is retried for ~200 ms.
 */
export function user32Clipboard(api: Win32): Clipboard {
  const open = async (): Promise<boolean> => {
    for (let attempt = 0; attempt < 10; attempt++) {
      if (api.OpenClipboard(null)) return true;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return false;
  };
  return {
    async read(): Promise<string | null> {
      if (!(await open())) return null;
      try {
        const data = api.GetClipboardData(CF_UNICODETEXT);
        if (data === null) return null;
        const locked = api.GlobalLock(data);
        if (locked === null) return null;
        try {
          const bytes = Math.min(Number(api.GlobalSize(data)), MAX_BYTES) & ~1;
          const buf = Buffer.alloc(bytes);
          api.copyToBuffer(buf, locked, bytes);
          const text = buf.toString('utf16le');
          const end = text.indexOf('\0');
          return end >= 0 ? text.slice(0, end) : text;
        } finally {
          api.GlobalUnlock(data);
        }
      } finally {
        api.CloseClipboard();
      }
    },
    async write(text: string): Promise<void> {
      // Windows text uses CRLF line ends; the technician's side sends LF.
      const buf = Buffer.from(`${text.replace(/\r?\n/g, '\r\n')}\0`, 'utf16le');
      if (buf.length > MAX_BYTES) throw new Error('clipboard text too long');
      if (!(await open())) throw new Error('the clipboard is held by another program');
      let memory: Handle = null;
      try {
        api.EmptyClipboard();
        memory = api.GlobalAlloc(GMEM_MOVEABLE, buf.length);
        if (memory === null) throw new Error('GlobalAlloc failed');
        const locked = api.GlobalLock(memory);
        if (locked === null) throw new Error('GlobalLock failed');
        api.copyFromBuffer(locked, buf, buf.length);
        api.GlobalUnlock(memory);
        // On success the system owns the memory; on failure it is still ours to free.
        if (api.SetClipboardData(CF_UNICODETEXT, memory) !== null) memory = null;
        else throw new Error('SetClipboardData failed');
      } finally {
        if (memory !== null) api.GlobalFree(memory);
        api.CloseClipboard();
      }
    },
  };
}
