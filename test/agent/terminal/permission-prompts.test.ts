import { expect } from 'chai';
import type { Permission } from '../../../protocol/index.ts';
import { PermissionPrompts, type PromptQuestion } from '../../../agent/terminal/permission-prompts.ts';

/** A prompt queue on a hand-moved clock, recording every question it showed and every answer it gave. */
function setup(settleMs = 1000) {
  let now = 0;
  const prompts = new PermissionPrompts(settleMs, () => now);
  const shown: (PromptQuestion | null)[] = [];
  prompts.on('change', (q) => shown.push(q));
  const answers = new Map<Permission, boolean>();
  const ask = (p: Permission): Promise<boolean> => prompts.ask(p, 'Ann Tech (ann@example.test)').then((yes) => (answers.set(p, yes), yes));
  const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
  return { prompts, shown, answers, ask, flush, tick: (ms: number) => (now += ms) };
}

describe('agent/terminal/permission-prompts', () => {
  it('shows one question, naming the permission and the technician', () => {
    const { prompts, ask } = setup();
    void ask('control');
    expect(prompts.current?.text).to.equal('? Ann Tech (ann@example.test) asks for control: Control your mouse and keyboard. Allow? [y/N]');
  });

  it('control asked, then view asked: one "y" grants view, the question shown last, never control', async () => {
    const { prompts, answers, ask, flush, tick } = setup();
    void ask('control');
    void ask('view');
    expect(prompts.current?.permission).to.equal('view');
    tick(1500);
    expect(prompts.answer('y')).to.deep.equal({ kind: 'answered', permission: 'view', yes: true });
    await flush();
    expect([...answers]).to.deep.equal([['view', true]]);
    // Control comes back on screen, as a new question: an immediate second "y" is not taken for it.
    expect(prompts.current?.permission).to.equal('control');
    expect(prompts.answer('y')).to.deep.equal({ kind: 'too_soon', permission: 'control' });
    await flush();
    expect(answers.has('control')).to.equal(false);
  });

  it('a question slipped in just before Enter: the "y" meant for the old one grants nothing', async () => {
    const { prompts, answers, ask, flush, tick } = setup();
    void ask('view');
    tick(5000);
    void ask('control');
    tick(300);
    expect(prompts.answer('yes')).to.deep.equal({ kind: 'too_soon', permission: 'control' });
    await flush();
    expect(answers.size).to.equal(0);
    expect(prompts.current?.permission, 'the question stays').to.equal('control');
    tick(1000);
    expect(prompts.answer('y')).to.deep.equal({ kind: 'answered', permission: 'control', yes: true });
  });

  it('Enter alone, "n" and "no" refuse the question shown, at once', async () => {
    const { prompts, answers, ask, flush } = setup();
    void ask('files');
    expect(prompts.answer('')).to.deep.equal({ kind: 'answered', permission: 'files', yes: false });
    void ask('control');
    expect(prompts.answer('N')).to.deep.equal({ kind: 'answered', permission: 'control', yes: false });
    void ask('view');
    expect(prompts.answer('no')).to.deep.equal({ kind: 'answered', permission: 'view', yes: false });
    await flush();
    expect([...answers]).to.deep.equal([['files', false], ['control', false], ['view', false]]);
    expect(prompts.current).to.equal(null);
  });

  it('an answer that names the permission answers that question, shown or not, with no wait', async () => {
    const { prompts, answers, ask, flush } = setup();
    void ask('control');
    void ask('view');
    expect(prompts.answer('yes control')).to.deep.equal({ kind: 'answered', permission: 'control', yes: true });
    expect(prompts.answer('deny view')).to.deep.equal({ kind: 'answered', permission: 'view', yes: false });
    expect(prompts.answer('allow files')).to.deep.equal({ kind: 'not_asked', permission: 'files' });
    await flush();
    expect([...answers]).to.deep.equal([['control', true], ['view', false]]);
  });

  it('other lines are not answers (they are chat), and with nothing asked "y" is not an answer', () => {
    const { prompts, ask } = setup();
    expect(prompts.answer('y')).to.deep.equal({ kind: 'none' });
    void ask('view');
    expect(prompts.answer('why do you need that?')).to.deep.equal({ kind: 'none' });
    expect(prompts.answer('/revoke all')).to.deep.equal({ kind: 'none' });
  });

  it('a flood of requests: every "y" grants only the question on screen at that moment, once settled', async () => {
    const { prompts, answers, ask, flush, tick } = setup();
    const order: Permission[] = ['view', 'control', 'files', 'clipboard'];
    const granted: Permission[] = [];
    for (let i = 0; i < 400; i++) {
      void ask(order[i % 4]!);
      tick(7);
      if (i % 13 === 0) {
        const shown = prompts.current?.permission;
        const r = prompts.answer('y');
        if (r.kind === 'answered') {
          expect(r.permission).to.equal(shown);
          granted.push(r.permission as Permission);
        }
      }
    }
    await flush();
    expect(granted, 'a question that keeps changing is never settled').to.deep.equal([]);
    expect([...answers.values()].every((yes) => !yes)).to.equal(true);
  });

  it('the colleague question names both technicians and follows the same rules: settled "y", "no", "yes colleague"', async () => {
    const { prompts, flush, tick } = setup();
    const first = prompts.askColleague({ name: 'Cleo Colleague', email: 'cleo@example.test', leadName: 'Ann Tech' });
    expect(prompts.current?.text).to.equal(
      '? Ann Tech asks to bring in Cleo Colleague (cleo@example.test, verified by the server) to help: they would see your screen and chat; control stays with Ann Tech. Let them in? [y/N]',
    );
    expect(prompts.answer('y')).to.deep.equal({ kind: 'too_soon', permission: 'colleague' });
    tick(1500);
    expect(prompts.answer('y')).to.deep.equal({ kind: 'answered', permission: 'colleague', yes: true });
    expect(await first).to.equal(true);
    await flush();
    const second = prompts.askColleague({ name: 'Dan', email: 'dan@example.test', leadName: 'Ann Tech' });
    expect(prompts.answer('no')).to.deep.equal({ kind: 'answered', permission: 'colleague', yes: false });
    expect(await second).to.equal(false);
    await flush();
    const third = prompts.askColleague({ name: 'Eve', email: 'eve@example.test', leadName: 'Ann Tech' });
    expect(prompts.answer('yes colleague')).to.deep.equal({ kind: 'answered', permission: 'colleague', yes: true });
    expect(await third).to.equal(true);
    expect(prompts.answer('yes colleague')).to.deep.equal({ kind: 'not_asked', permission: 'colleague' });
  });

  it('withdraw and denyAll refuse what they drop and move on to the next question', async () => {
    const { prompts, answers, ask, flush, shown } = setup();
    void ask('view');
    void ask('control');
    prompts.withdraw('control');
    await flush();
    expect(prompts.current?.permission).to.equal('view');
    prompts.denyAll();
    await flush();
    expect([...answers]).to.deep.equal([['control', false], ['view', false]]);
    expect(prompts.current).to.equal(null);
    expect(shown.map((q) => q?.permission ?? null)).to.deep.equal(['view', 'control', null, 'view', null]);
  });
});
