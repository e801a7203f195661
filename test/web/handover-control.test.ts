import { expect } from 'chai';
import type { BrowserContext, Page } from 'puppeteer-core';
import {
  byRole,
  byTestId,
  checkScreen,
  clickRole,
  createTechnician,
  ensureBuilt,
  launchChromium,
  logInToConsole,
  newPage,
  startWebServer,
  texts,
} from '../../testkit/web-harness.ts';
import type { TestServer } from '../../testkit/web-harness.ts';
import { chooseTechnician, waitVideoGone, waitVideoPlaying } from '../../testkit/handover-driver.ts';
import { waitEnabled, waitPermission } from '../../testkit/web-session.ts';
import { joinAsFakeAgent, type FakeAgentCustomer } from '../../testkit/fake-agent.ts';

const ADA = { email: 'ada.control@example.test', name: 'Ada Lead', password: 'correct horse battery staple' };
const CLEO = { email: 'cleo.control@example.test', name: 'Cleo Colleague', password: 'correct horse battery staple 3' };

/** How long a key press gets to reach the customer's machine before "it did not" is concluded (loopback; the machine is shared). */
const SETTLE_MS = 2000;

async function textOf(page: Page, testId: string): Promise<string> {
  const el = await byTestId(page, testId);
  return el.evaluate((e) => (e.textContent ?? '').replace(/\s+/g, ' ').trim());
}

/**
 * A technician presses `code` on the customer's screen in their console, as a
 * person would: a click on the picture (it takes the keyboard when control is
 * on), then the key.
 */
async function pressOnScreen(page: Page, code: 'KeyL' | 'KeyC'): Promise<void> {
  const video = await byTestId(page, 'remote-video');
  const box = await video.boundingBox();
  if (!box) throw new Error('the remote video has no box');
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.keyboard.press(code);
}

/** Waits (bounded) until the customer's machine got `event`. */
async function waitInjected(agent: FakeAgentCustomer, event: string, what: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (agent.injected.includes(event)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: "${event}" never reached the customer; injected: ${agent.injected.slice(-10).join(', ')}`);
}

/** Whether the console's picture takes input (remote control on in this tab). */
async function screenTakesInput(page: Page): Promise<boolean> {
  return (await byTestId(page, 'remote-video')).evaluate((v) => v.classList.contains('control'));
}

/**
 * What a tampered colleague console could do without its UI: send a key
 * straight down its data channel to the lead's console. Answers whether it went.
 */
async function forceKey(page: Page, code: string): Promise<boolean> {
  return page.evaluate((key) => {
    type Tab = { phase: string; engine: { peer: { send(channel: string, msg: unknown): boolean } | null } };
    const app = document.querySelector('rr-console-app') as unknown as { model: { tabs: Tab[] } } | null;
    const tab = app?.model.tabs.find((t) => t.phase !== 'ended');
    const peer = tab?.engine.peer;
    if (!peer) return false;
    return peer.send('input', { type: 'key', code: key, key: key.slice(-1).toLowerCase(), down: true }) && peer.send('input', { type: 'key', code: key, key: key.slice(-1).toLowerCase(), down: false });
  }, code);
}

/**
 * Issue 16 point 4: control stays with the lead unless the lead hands it over
 * explicitly; the lead can take it back. The customer is the support app (a
 * browser share takes no input) on a fake platform whose injector records
 * what reached the customer's machine.
 */
describe('web: remote control between the lead and a colleague in Chromium (issue 16 point 4)', function () {
  this.timeout(300_000);
  let srv: TestServer;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  const ctx: BrowserContext[] = [];
  let ada: Page;
  let cleo: Page;
  let agent: FakeAgentCustomer;
  let sessionId = '';

  before(async function () {
    this.timeout(240_000);
    ensureBuilt();
    srv = await startWebServer();
    for (const t of [ADA, CLEO]) await createTechnician(srv.server, t.email, t.name, t.password);
    chromium = await launchChromium();
    for (let i = 0; i < 2; i++) ctx.push(await chromium.browser.createBrowserContext());
    [ada, cleo] = (await Promise.all(ctx.map((c) => newPage(c)))) as [Page, Page];
  });

  after(async () => {
    agent?.close();
    await chromium?.close();
    await srv?.close();
  });

  const events = async () => (await srv.server.audit.events(sessionId)).map((e) => `${e.event} ${e.actor.label} ${e.detail}`.trim());
  const fromColleague = () => agent.injected.filter((e) => e.startsWith('key KeyC') || e.startsWith('key KeyX'));
  const fromLead = () => agent.injected.filter((e) => e.startsWith('key KeyL'));

  it("with control granted to the lead, the lead's keys reach the customer and the invited colleague's do not", async () => {
    await logInToConsole(ada, srv.url, ADA.email, ADA.password);
    await logInToConsole(cleo, srv.url, CLEO.email, CLEO.password);
    await clickRole(ada, 'button', 'Create session code');
    const code = await textOf(ada, 'session-code');
    agent = await joinAsFakeAgent(srv.server, code, { name: 'Carl Customer', grant: ['view', 'control'], letColleagueIn: true });
    sessionId = agent.session.engine.sessionId ?? '';
    await (await (await byTestId(ada, 'queue-row')).$('button'))!.click();
    const askView = await byRole(ada, 'button', 'Ask to view screen');
    await waitEnabled(askView);
    await askView.click();
    await waitPermission(ada, 'view', 'granted');
    await waitVideoPlaying(ada, "Ada's console");
    const askControl = await byRole(ada, 'button', 'Ask for remote control');
    await waitEnabled(askControl);
    await askControl.click();
    await waitPermission(ada, 'control', 'granted');
    expect(await screenTakesInput(ada), "Ada's picture takes input").to.equal(true);
    await pressOnScreen(ada, 'KeyL');
    await waitInjected(agent, 'key KeyL down', "Ada's key with control granted");

    // Ada brings Cleo in; the customer lets her in; she sees the screen, without control.
    await (await byTestId(ada, 'handover-open')).click();
    await chooseTechnician(ada, CLEO.email);
    await clickRole(ada, 'button', 'Invite to help');
    expect(await textOf(cleo, 'colleague-role')).to.contain(`You are helping ${ADA.name}`);
    await waitVideoPlaying(cleo, "Cleo's console");
    expect(await textOf(ada, 'colleague-state')).to.equal(`${CLEO.name} sees the screen and can chat.`);
    await byRole(ada, 'button', `Hand control to ${CLEO.name}`);
    expect(await screenTakesInput(cleo), "Cleo's picture takes no input before the handover").to.equal(false);
    expect(await textOf(cleo, 'perm-control')).to.equal('not available');

    // Cleo's keys, through her console and straight down her data channel: none reaches the customer.
    await pressOnScreen(cleo, 'KeyC');
    expect(await forceKey(cleo, 'KeyX'), "Cleo's console has an open channel to Ada's").to.equal(true);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const leadBefore = fromLead().length;
    await pressOnScreen(ada, 'KeyL');
    for (let i = 0; i < 150 && fromLead().length === leadBefore; i++) await new Promise((r) => setTimeout(r, 100));
    expect(fromLead().length, "Ada's key still reaches the customer").to.be.greaterThan(leadBefore);
    expect(fromColleague(), 'no key of Cleo reached the customer before the handover').to.deep.equal([]);
  });

  it('after "Hand control to Cleo", her keys reach the customer and the lead\'s stop; after "Take control back", the other way round; both audited', async () => {
    await clickRole(ada, 'button', `Hand control to ${CLEO.name}`);
    await waitPermission(cleo, 'control', 'granted');
    for (let i = 0; i < 150 && !(await screenTakesInput(cleo)); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await screenTakesInput(cleo), "Cleo's picture takes input once handed control").to.equal(true);
    expect(await textOf(ada, 'colleague-state')).to.equal(`${CLEO.name} sees the screen and can chat and has remote control.`);
    expect(await textOf(cleo, 'colleague-role')).to.contain(`${ADA.name} handed you remote control`);
    const cleoLog = (): Promise<string[]> => texts(cleo, '[data-testid="session-log"] li');
    for (let i = 0; i < 100 && !(await cleoLog()).some((l) => l.includes(`${ADA.name} handed you remote control.`)); i++) await new Promise((r) => setTimeout(r, 100));
    expect((await cleoLog()).filter((l) => /handed you remote control|Control your mouse/.test(l)), "Cleo's log: the lead handed it over, not a new grant").to.have.length(1);
    expect((await cleoLog()).some((l) => l.includes(`${ADA.name} handed you remote control.`))).to.equal(true);
    await byRole(ada, 'button', 'Take control back');
    // The lead's own picture stops taking input while the colleague holds control (docs/decisions.md, collaboration).
    expect(await screenTakesInput(ada), "Ada's picture takes no input while Cleo has control").to.equal(false);
    expect(await textOf(ada, 'perm-control'), "the customer's grant stands").to.equal('granted');
    expect(await textOf(ada, 'perm-control-holder'), "Ada's tab says who holds it").to.equal(`(handed to ${CLEO.name})`);

    await pressOnScreen(cleo, 'KeyC');
    await waitInjected(agent, 'key KeyC down', "Cleo's key with control handed over");
    const leadBefore = fromLead().length;
    await pressOnScreen(ada, 'KeyL');
    // Cleo's second key goes after Ada's: once it arrived, Ada's would have been sent before it.
    const colleagueBefore = fromColleague().length;
    await pressOnScreen(cleo, 'KeyC');
    for (let i = 0; i < 150 && fromColleague().length === colleagueBefore; i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    expect(fromLead().length, "no key of Ada's reached the customer while Cleo had control").to.equal(leadBefore);
    await checkScreen(ada, 'console-colleague-has-control');
    await checkScreen(cleo, 'console-colleague-holds-control');

    await clickRole(ada, 'button', 'Take control back');
    await byRole(ada, 'button', `Hand control to ${CLEO.name}`);
    for (let i = 0; i < 150 && (await textOf(cleo, 'perm-control')) === 'granted'; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await textOf(cleo, 'perm-control')).to.equal('not available');
    expect(await textOf(cleo, 'colleague-role')).to.contain(`Remote control stays with ${ADA.name} unless they hand it to you`);
    expect((await cleoLog()).some((l) => l.includes(`Remote control is with ${ADA.name} again.`)), "Cleo's log says control went back").to.equal(true);
    expect(await screenTakesInput(ada), "Ada's picture takes input again").to.equal(true);
    expect(await ada.$('pierce/[data-testid="perm-control-holder"]'), 'nobody else holds it now').to.equal(null);
    const colleagueAfter = fromColleague().length;
    await pressOnScreen(cleo, 'KeyC');
    expect(await forceKey(cleo, 'KeyX')).to.equal(true);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const leadAgain = fromLead().length;
    await pressOnScreen(ada, 'KeyL');
    for (let i = 0; i < 150 && fromLead().length === leadAgain; i++) await new Promise((r) => setTimeout(r, 100));
    expect(fromLead().length, "Ada's keys reach the customer again").to.be.greaterThan(leadAgain);
    expect(fromColleague().slice(colleagueAfter), 'no key of Cleo reached the customer after control was taken back').to.deep.equal([]);

    const trail = await events();
    expect(trail.filter((e) => e.startsWith('colleague.control'))).to.deep.equal([
      `colleague.control ${ADA.email} handed to ${CLEO.email}`,
      `colleague.control ${ADA.email} taken back from ${CLEO.email}`,
    ]);
  });

  it("the customer's Stop all access, with control handed to the colleague, removes the lead's and the colleague's access", async () => {
    await clickRole(ada, 'button', `Hand control to ${CLEO.name}`);
    await waitPermission(cleo, 'control', 'granted');
    await pressOnScreen(cleo, 'KeyC');
    const colleagueKeys = fromColleague().length;
    for (let i = 0; i < 150 && fromColleague().length === colleagueKeys; i++) await new Promise((r) => setTimeout(r, 100));
    // The support app's window and its terminal (`/revoke all`) both call this.
    agent.session.engine.revokeAll();
    await waitVideoGone(ada, "Ada's console after Stop all access");
    await waitVideoGone(cleo, "Cleo's console after Stop all access");
    expect(await textOf(cleo, 'ended')).to.contain('You are no longer in this session');
    await waitPermission(ada, 'view', 'revoked');
    await waitPermission(ada, 'control', 'revoked');
    for (let i = 0; i < 150 && (await texts(ada, '[data-testid="colleague"]')).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await texts(ada, '[data-testid="colleague"]'), "Ada's tab shows no colleague").to.deep.equal([]);
    const injected = agent.injected.length;
    expect(await forceKey(cleo, 'KeyX'), "Cleo's tab has no channel left").to.equal(false);
    await pressOnScreen(ada, 'KeyL');
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    expect(agent.injected.slice(injected).filter((e) => e.startsWith('key')), 'no key reaches the customer after Stop all access').to.deep.equal([]);
    const trail = await events();
    expect(trail.filter((e) => e.startsWith('permission.revoked'))).to.have.length(2);
    expect(trail.some((e) => e.startsWith('colleague.removed') && e.endsWith(CLEO.email))).to.equal(true);
  });
});
