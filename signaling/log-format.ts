/**
 * The server log as lines a person reads on a terminal: pino writes its JSON
 * line here and this destination prints `HH:MM:SS.mmm LEVEL message key=value…`
 * instead (colours optional). Values are JSON-quoted unless they are plain
 * words, and control characters in the message are escaped, so nothing a
 * client sent (a name, a reason) can move the cursor or recolour the terminal.
 */

const LEVELS: Record<number, { name: string; colour: string }> = {
  10: { name: 'TRACE', colour: '\x1b[90m' },
  20: { name: 'DEBUG', colour: '\x1b[90m' },
  30: { name: 'INFO', colour: '\x1b[32m' },
  40: { name: 'WARN', colour: '\x1b[33m' },
  50: { name: 'ERROR', colour: '\x1b[31m' },
  60: { name: 'FATAL', colour: '\x1b[41m\x1b[97m' },
};
const RESET = '\x1b[0m';
const DIM = '\x1b[2m';
/** Fields every line has, or that say nothing on one process's terminal. */
const OMIT = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'svc']);
// C0 and C1 controls, DEL, line/paragraph separators and bidirectional overrides.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Escapes what a terminal would act on, as `\uXXXX`. */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function formatValue(value: unknown): string {
  if (typeof value === 'string' && /^[\w./:@+-]{1,200}$/.test(value)) return value;
  // JSON escapes every control character except the separators and bidi marks handled here.
  return escapeControls(JSON.stringify(value) ?? String(value));
}

function clock(time: unknown): string {
  const date = typeof time === 'number' ? new Date(time) : new Date();
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** One pino JSON line as a readable line (no trailing newline); a line that is not JSON is escaped and kept. */
export function formatLogLine(line: string, colour: boolean): string {
  let record: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return escapeControls(line.trimEnd());
    record = parsed as Record<string, unknown>;
  } catch {
    return escapeControls(line.trimEnd());
  }
  const level = LEVELS[typeof record['level'] === 'number' ? record['level'] : 30] ?? { name: 'LOG', colour: '' };
  const name = level.name.padEnd(5);
  const message = escapeControls(typeof record['msg'] === 'string' ? record['msg'] : '');
  const fields = Object.entries(record)
    .filter(([key]) => !OMIT.has(key))
    .map(([key, value]) => `${escapeControls(key)}=${formatValue(value)}`)
    .join(' ');
  const time = clock(record['time']);
  if (!colour) return [time, name, message, fields].filter(Boolean).join(' ');
  return [`${DIM}${time}${RESET}`, `${level.colour}${name}${RESET}`, message, fields ? `${DIM}${fields}${RESET}` : ''].filter(Boolean).join(' ');
}

/** A pino destination that writes readable lines to `out` (stdout by default). */
export function prettyDestination(out: { write(text: string): unknown } = process.stdout, colour = true): { write(chunk: string): void } {
  return {
    write(chunk: string): void {
      for (const line of chunk.split('\n')) {
        if (line.trim() !== '') out.write(`${formatLogLine(line, colour)}\n`);
      }
    },
  };
}
