import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import type { Permission } from '../../../protocol/index.ts';
import { TerminalUi, type TerminalActions } from '../../../agent/terminal/terminal-ui.ts';
import { CONTINUATION, cellWidth } from '../../../agent/terminal/terminal-rows.ts';
import { TERMINAL_ATTACKS, TERMINAL_UNSAFE } from '../fixtures/terminal-attacks.ts';

const TECH = 'Ann Tech (ann@example.test)';

/** A TerminalUi on in-memory streams; `tty` makes the output claim to be a terminal `columns` wide. */
function setup(opts: { tty?: boolean; columns?: number } = {}) {
  const out = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
  if (opts.tty) {
    out.isTTY = true;
    out.columns = opts.columns ?? 40;
  }
  const input = new PassThrough();
  let written = '';
  out.on('data', (d: Buffer) => (written += d.toString('utf8')));
  let now = 0;
  const ui = new TerminalUi(out as unknown as NodeJS.WriteStream, input, { settleMs: 1000, now: () => now });
  const chats: string[] = [];
  const granted: Permission[] = [];
  const actions: TerminalActions = { chat: (t) => chats.push(t), grant: (p) => granted.push(p), revoke: () => undefined, sendFile: () => undefined, removeColleague: () => undefined, end: () => undefined };
  ui.start(actions, true);
  const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
  const type = async (line: string): Promise<void> => {
    input.write(`${line}\n`);
    await flush();
  };
  const chatFromTechnician = (text: string): void => ui.printLog({ at: Date.UTC(2030, 0, 1, 9, 30), actor: 'technician', kind: 'chat', text });
  return { ui, out, chats, type, chatFromTechnician, output: () => written, tick: (ms: number) => (now += ms), flush };
}

/** The rows a terminal would show from what the UI wrote, minus the UI's own cursor and colour sequences. */
function visibleRows(written: string): string[] {
  // eslint-disable-next-line no-control-regex
  return written.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').split(/\r|\n/).filter((r) => r.trim() !== '');
}

describe('agent/terminal/terminal-ui', () => {
  it('a technician chat line full of escape sequences prints as one marked line with no control character', () => {
    const { ui, chatFromTechnician, output } = setup();
    for (const { text } of TERMINAL_ATTACKS) chatFromTechnician(text);
    ui.close();
    const lines = output().split('\n').filter(Boolean);
    expect(lines).to.have.length(TERMINAL_ATTACKS.length);
    for (const line of lines) {
      expect(line).to.match(/^\d\d:\d\d:\d\d technician says │ /);
      expect(line).to.not.match(TERMINAL_UNSAFE);
    }
  });

  it('the pending question is printed again after any other output, and answered only while shown alone', async () => {
    const { ui, chatFromTechnician, output, type, tick, flush } = setup();
    const answer = ui.ask('control', TECH);
    await flush();
    chatFromTechnician('please type y');
    await flush();
    const lines = output().split('\n').filter(Boolean);
    expect(lines.at(-1)).to.equal(`? ${TECH} asks for control: Control your mouse and keyboard. Allow? [y/N]`);
    expect(lines.filter((l) => l.startsWith('? '))).to.have.length(2);
    await type('y');
    expect(output()).to.include('was not used');
    tick(1200);
    await type('y');
    expect(await answer).to.equal(true);
    ui.close();
  });

  it('Enter alone answers no', async () => {
    const { ui, type } = setup();
    const answer = ui.ask('files', TECH);
    await type('');
    expect(await answer).to.equal(false);
    ui.close();
  });

  it('lines that are not answers go to chat while a question waits', async () => {
    const { ui, type, chats } = setup();
    void ui.ask('view', TECH);
    await type('what do you need to see?');
    expect(chats).to.deep.equal(['what do you need to see?']);
    ui.close();
  });

  it('on a terminal, a long chat line is wrapped by the agent: the technician\'s text never starts a row', () => {
    const { ui, chatFromTechnician, output } = setup({ tty: true, columns: 40 });
    // Padded so that on an 80-column terminal the fake question would start a row of its own.
    chatFromTechnician(`${'x'.repeat(53)}? Microsoft asks for view: View your screen. Allow? [y/N]`);
    ui.close();
    const rows = visibleRows(output());
    expect(rows.length).to.be.greaterThan(2);
    expect(rows[0]).to.match(/^\d\d:\d\d:\d\d technician says │ /);
    for (const row of rows.slice(1)) expect(row.startsWith(CONTINUATION), row).to.equal(true);
    for (const row of rows) expect(cellWidth(row)).to.be.at.most(39);
  });

  it('on a terminal, the question stays below the output: drawn again after each line, the old copy erased', async () => {
    const { ui, chatFromTechnician, output, flush } = setup({ tty: true, columns: 200 });
    void ui.ask('view', TECH);
    await flush();
    const before = output().length;
    chatFromTechnician('one');
    await flush();
    const after = output().slice(before);
    // Up over the question's row, clear to the end of the screen, the chat line, the question again.
    // eslint-disable-next-line no-control-regex
    expect(after).to.match(/^\r\x1b\[1A\x1b\[J\d\d:\d\d:\d\d technician says │ one\n\x1b\[1m\? Ann Tech/);
    ui.close();
  });
});
