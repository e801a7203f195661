/** What starts every row a long line wraps onto. */
export const CONTINUATION = '    ┆ ';

/**
 * Splits one line of sanitised text into terminal rows of at most
 * `columns - 1` cells (at a space when there is one), each row after the
 * first starting with CONTINUATION.
 * The terminal then never wraps a line itself, so outside text can never
 * start a row: a technician cannot pad a chat line until their fake
 * "? … Allow?" lands at the left edge. Widths are over-estimated (every code
 * point from U+1100 on counts two cells) so a row is never wider than
 * counted; too short a row only costs space.
 */
export function wrapRows(line: string, columns: number): string[] {
  const limit = Math.max(20, columns - 1);
  const rows: string[] = [];
  let row = '';
  let start = 0;
  for (const ch of line) {
    if (cellWidth(row) + cellWidth(ch) > limit) {
      // Break after the last space of the row, unless that would leave it (nearly) empty.
      const space = row.lastIndexOf(' ');
      const cut = space > start + (limit >> 1) ? space + 1 : row.length;
      rows.push(row.slice(0, cut));
      row = CONTINUATION + row.slice(cut);
      start = CONTINUATION.length;
    }
    row += ch;
  }
  rows.push(row);
  return rows;
}

/** The cells `text` takes at most. */
export function cellWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += (ch.codePointAt(0) ?? 0) < 0x1100 ? 1 : 2;
  return w;
}
