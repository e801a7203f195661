import { expect } from 'chai';
import type { BrowserContext, Page } from 'puppeteer-core';
import {
  byRole,
  byTestId,
  clickRole,
  createTechnician,
  ensureBuilt,
  launchChromium,
  logInToConsole,
  newPage,
  screenshotAt,
  startWebServer,
  texts,
} from '../../testkit/web-harness.ts';
import type { TestServer } from '../../testkit/web-harness.ts';
import { chooseTechnician, decodedFrames, waitVideoGone, waitVideoPlaying } from '../../testkit/handover-driver.ts';

const ADA = { email: 'ada@example.test', name: 'Ada Lead', password: 'correct horse battery staple' };
const BEN = { email: 'ben@example.test', name: 'Ben Next', password: 'correct horse battery staple 2' };
const CLEO = { email: 'cleo@example.test', name: 'Cleo Colleague', password: 'correct horse battery staple 3' };

const measured: Record<string, number> = {};

async function permissionState(page: Page, permission: string): Promise<string> {
  const row = await page.$(`pierce/li[data-permission="${permission}"], tr[data-permission="${permission}"]`);
  return row ? row.evaluate((el) => el.getAttribute('data-state') ?? '') : 'missing';
}

async function waitPermission(page: Page, permission: string, state: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if ((await permissionState(page, permission)) === state) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`permission ${permission} never became ${state} (is ${await permissionState(page, permission)})`);
}

async function textOf(page: Page, testId: string): Promise<string> {
  const el = await byTestId(page, testId);
  return el.evaluate((e) => (e.textContent ?? '').replace(/\s+/g, ' ').trim());
}

/** Waits for an enabled button with this accessible name and clicks it. */
async function clickWhenEnabled(page: Page, name: string): Promise<void> {
  const button = await byRole(page, 'button', name);
  for (let i = 0; i < 150; i++) {
    if (!(await button.evaluate((b) => (b as HTMLButtonElement).disabled))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await button.click();
}

/** The technician asks to view the screen and the customer says Yes; the console then plays it. */
async function askAndShare(tech: Page, cust: Page, techName: string): Promise<void> {
  await clickWhenEnabled(tech, 'Ask to view screen');
  const prompt = await byTestId(cust, 'prompt-view');
  expect(await prompt.evaluate((e) => e.textContent ?? '')).to.contain(techName);
  await clickRole(cust, 'button', 'Yes, allow: View your screen');
  await waitPermission(tech, 'view', 'granted');
  await waitVideoPlaying(tech, `${techName}'s console`);
}

describe('web: session transfer and collaboration in Chromium', function () {
  this.timeout(240_000);
  let srv: TestServer;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  const ctx: BrowserContext[] = [];
  let ada: Page;
  let ben: Page;
  let cleo: Page;
  let cust: Page;
  let sessionId = '';

  before(async function () {
    this.timeout(240_000);
    ensureBuilt();
    srv = await startWebServer();
    for (const t of [ADA, BEN, CLEO]) await createTechnician(srv.server, t.email, t.name, t.password);
    chromium = await launchChromium();
    for (let i = 0; i < 4; i++) ctx.push(await chromium.browser.createBrowserContext());
    const pages = await Promise.all(ctx.map((c) => newPage(c)));
    [ada, ben, cleo, cust] = pages as [Page, Page, Page, Page];
  });

  after(async () => {
    await chromium?.close();
    await srv?.close();
    console.log('    measured:', JSON.stringify(measured));
  });

  const events = async () => (await srv.server.audit.events(sessionId)).map((e) => `${e.event} ${e.actor.label} ${e.detail}`.trim());

  it('a session transferred from A to B: the customer page names B, A loses the video at once, B gets it after the customer says Yes', async () => {
    await logInToConsole(ada, srv.url, ADA.email, ADA.password);
    await logInToConsole(ben, srv.url, BEN.email, BEN.password);
    await logInToConsole(cleo, srv.url, CLEO.email, CLEO.password);
    await clickRole(ada, 'button', 'Create session code');
    const code = await textOf(ada, 'session-code');
    await cust.goto(`${srv.url}/`);
    await (await byRole(cust, 'textbox', 'Enter your 6-digit code')).type(code);
    await clickRole(cust, 'button', 'Start');
    await byTestId(ada, 'queue-row');
    await clickRole(cust, 'button', 'Share my screen from this browser');
    await (await (await byTestId(ada, 'queue-row')).$('button'))!.click();
    await askAndShare(ada, cust, ADA.name);
    sessionId = (await srv.server.audit.sessionsFor({ id: '', isAdmin: true }))[0]?.id ?? '';

    // Ada hands the session to Ben with a note.
    await (await byTestId(ada, 'handover-open')).click();
    await chooseTechnician(ada, BEN.email);
    await (await byTestId(ada, 'handover-note')).type('printer driver, see ticket 42');
    await clickRole(ada, 'button', 'Transfer session');
    const t0 = Date.now();
    await clickRole(ada, 'button', 'Transfer now');
    await waitVideoGone(ada, "Ada's console");
    measured.oldTechnicianVideoGoneMs = Date.now() - t0;
    expect(await textOf(ada, 'ended')).to.contain('You transferred the session');

    // The customer is told who takes over, by the server's name, and nothing of Ada's access is left.
    const notice = await textOf(cust, 'transfer-notice');
    expect(notice).to.contain(`${ADA.name} handed your session to ${BEN.name} (${BEN.email})`);
    expect(notice).to.contain('printer driver, see ticket 42');
    await waitPermission(cust, 'view', 'revoked');
    expect(await texts(cust, '[data-testid="sharing-status"]')).to.deep.equal([]);

    // Ben's console opens the session; he has to ask, and sees the screen after the customer's Yes.
    expect(await textOf(ben, 'peer-name')).to.not.equal('');
    expect(await decodedFrames(ben)).to.be.lessThan(1);
    await askAndShare(ben, cust, BEN.name);
    expect(await events()).to.include(`session.transferred ${ADA.email} to ${BEN.email}: printer driver, see ticket 42`);
    expect((await events()).filter((e) => e.startsWith('permission.revoked'))).to.have.length(1);
  });

  it('a colleague invited by name, approved by the customer, sees the video and chats; removed by the lead, loses it', async () => {
    await (await byTestId(ben, 'handover-open')).click();
    await chooseTechnician(ben, CLEO.email);
    await clickRole(ben, 'button', 'Invite to help');
    expect(await textOf(ben, 'colleague-state')).to.contain('Waiting for the customer to let Cleo Colleague in');
    const prompt = await textOf(cust, 'prompt-colleague');
    expect(prompt).to.contain(`${BEN.name} asks to bring in ${CLEO.name} (${CLEO.email})`);
    await screenshotAt(cust, 'customer-colleague-prompt', 1280, 800);
    await screenshotAt(cust, 'customer-colleague-prompt', 390, 844);
    await clickRole(cust, 'button', `Yes, let ${CLEO.name} help`);

    // Cleo's console opens the session and plays the screen, relayed by Ben's console.
    expect(await textOf(cleo, 'colleague-role')).to.contain(`You are helping ${BEN.name}`);
    await waitVideoPlaying(cleo, "Cleo's console");
    expect(await textOf(cust, 'colleague-status')).to.contain(`${CLEO.name} is also helping`);
    // Cleo cannot ask the customer for anything: no Ask buttons in her tab.
    expect(await cleo.$('pierce/li[data-permission="control"] button')).to.equal(null);

    // Cleo chats with the customer; the line carries her name.
    const input = await byRole(cleo, 'textbox', 'Chat message');
    await input.type('Cleo here, checking the driver');
    await input.press('Enter');
    for (let i = 0; i < 100; i++) {
      const lines = await texts(cust, '[data-testid="chat-messages"] li[data-from="peer"]');
      if (lines.some((l) => l.includes('Cleo here') && l.includes(CLEO.name))) break;
      if (i === 99) throw new Error(`the customer never saw Cleo's line: ${JSON.stringify(lines)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await screenshotAt(ben, 'console-colleague-joined', 1280, 800);
    await screenshotAt(ben, 'console-colleague-joined', 390, 844);
    await screenshotAt(cleo, 'console-colleague-view', 1280, 800);
    await screenshotAt(cleo, 'console-colleague-view', 390, 844);

    // Ben removes Cleo: her video goes at once; Ben keeps his.
    await clickRole(ben, 'button', `Remove ${CLEO.name}`);
    measured.colleagueVideoGoneAfterRemoveMs = await waitVideoGone(cleo, "Cleo's console");
    expect(await textOf(cleo, 'ended')).to.contain('You are no longer in this session');
    await waitVideoPlaying(ben, "Ben's console after the removal");
    const trail = await events();
    expect(trail).to.include(`colleague.invited ${BEN.email} ${CLEO.email}`);
    expect(trail.some((e) => e.startsWith('colleague.joined') && e.endsWith(CLEO.email))).to.equal(true);
    expect(trail).to.include(`colleague.removed ${BEN.email} ${CLEO.email}`);
  });

  it("the customer's Stop all access removes the lead's and the colleague's access", async () => {
    await (await byTestId(ben, 'handover-open')).click();
    await chooseTechnician(ben, CLEO.email);
    await clickRole(ben, 'button', 'Invite to help');
    await clickRole(cust, 'button', `Yes, let ${CLEO.name} help`);
    // A second tab for the same session in Cleo's console (the first one ended).
    await waitVideoPlaying(cleo, "Cleo's console, invited again");
    await clickRole(cust, 'button', 'Stop all access now');
    await waitVideoGone(ben, "Ben's console after Stop all access");
    await waitVideoGone(cleo, "Cleo's console after Stop all access");
    await waitPermission(ben, 'view', 'revoked');
    expect(await texts(cust, '[data-testid="colleague-status"]')).to.deep.equal([]);
  });
});
