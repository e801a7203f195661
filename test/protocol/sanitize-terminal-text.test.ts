import { expect } from 'chai';
import { isTerminalSafe, sanitizeTerminalText } from '../../protocol/sanitize-terminal-text.ts';
import { TERMINAL_ATTACKS, TERMINAL_UNSAFE } from '../agent/fixtures/terminal-attacks.ts';

describe('protocol/sanitize-terminal-text', () => {
  for (const { what, text } of TERMINAL_ATTACKS) {
    it(`defuses ${what}: no control or format character is left, the text stays visible`, () => {
      const safe = sanitizeTerminalText(text);
      expect(safe).to.not.match(TERMINAL_UNSAFE);
      expect(safe).to.not.include('\n');
      // What the sequence carried is shown as text, not obeyed.
      const letters = text.replace(/[^A-Za-z]/g, '');
      expect(safe.replace(/\\x[0-9a-f]{2}|\\u\{[0-9a-f]+\}|\\[nrt]/g, '').replace(/[^A-Za-z]/g, '')).to.equal(letters);
    });
  }

  it('writes each character it replaces as a visible escape', () => {
    expect(sanitizeTerminalText('a\x1b[2Jb')).to.equal('a\\x1b[2Jb');
    expect(sanitizeTerminalText('line1\nline2\r\t')).to.equal('line1\\nline2\\r\\t');
    expect(sanitizeTerminalText('\u009b')).to.equal('\\x9b');
    expect(sanitizeTerminalText('x\u202Ey')).to.equal('x\\u{202e}y');
    expect(sanitizeTerminalText('lone \ud800 surrogate')).to.equal('lone \\u{d800} surrogate');
    expect(sanitizeTerminalText('\u3164\u115f')).to.equal('\\u{3164}\\u{115f}');
  });

  it('leaves ordinary text in any script, and emoji sequences, as they are', () => {
    for (const text of ['Grüße, Jürgen!', '日本語のテキスト', 'مرحبا بالعالم', 'Привет', '👩🏽‍💻 👨‍👩‍👧 👍', 'C:\\Users\\ann\\report.pdf']) {
      expect(sanitizeTerminalText(text)).to.equal(text);
      expect(isTerminalSafe(text)).to.equal(true);
    }
    expect(sanitizeTerminalText('a\u200db'), 'a joiner between letters hides nothing useful').to.equal('a\\u{200d}b');
  });

  it('clips very long text with an ellipsis', () => {
    expect(sanitizeTerminalText('x'.repeat(50), 10)).to.equal(`${'x'.repeat(10)}…`);
  });
});
