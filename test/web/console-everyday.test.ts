import { expect } from 'chai';
import type { Page } from 'puppeteer-core';
import { LIMITS } from '../../protocol/limits.ts';
import { openCustomerSocket, type TestSocket } from '../../testkit/server.ts';
import {
  byRole,
  byTestId,
  clickRole,
  createTechnician,
  ensureBuilt,
  launchChromium,
  logInToConsole,
  newPage,
  pollFor,
  screenshotAt,
  startWebServer,
  texts,
  waitForFn,
} from '../../testkit/web-harness.ts';
import type { TestServer } from '../../testkit/web-harness.ts';

const TECH = { email: 'day@example.test', name: 'Dana Day', password: 'correct horse battery staple' };

/** The code of the newest pending session in the console. */
async function newCode(page: Page): Promise<string> {
  const before = new Set(await texts(page, '[data-testid="session-code"]'));
  await clickRole(page, 'button', 'Create session code');
  for (let i = 0; i < 100; i++) {
    const fresh = (await texts(page, '[data-testid="session-code"]')).find((c) => !before.has(c));
    if (fresh) return fresh;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no new code appeared');
}

async function queueRow(page: Page, name: string): Promise<{ details: string; wait: string }> {
  for (let i = 0; i < 200; i++) {
    const rows = await page.$$('pierce/[data-testid="queue-row"]');
    for (const row of rows) {
      const rowName = await row.$eval('[data-testid="queue-name"]', (el) => (el.textContent ?? '').trim());
      if (rowName === name) {
        return {
          details: await row.$eval('[data-testid="queue-details"]', (el) => (el.textContent ?? '').replace(/\s+/g, ' ').trim()),
          wait: await row.$eval('[data-testid="queue-wait"]', (el) => (el.textContent ?? '').trim()),
        };
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no queue row for ${name}; rows: ${JSON.stringify(await texts(page, '[data-testid="queue-row"]'))}`);
}

async function box(page: Page, testId: string) {
  const el = await byTestId(page, testId);
  const b = await el.boundingBox();
  if (!b) throw new Error(`${testId} is not rendered`);
  return b;
}

async function peerChats(page: Page): Promise<string[]> {
  return page.$$eval('pierce/[data-testid="chat-messages"] li[data-from="peer"] .bubble', (els) => els.map((el) => el.lastChild?.textContent ?? ''));
}

describe('web: the console in everyday use (issue 15)', function () {
  this.timeout(120_000);
  let srv: TestServer;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let tech: Page;
  let cust: Page;
  let agentLike: TestSocket;

  before(async function () {
    this.timeout(180_000);
    ensureBuilt();
    srv = await startWebServer();
    await createTechnician(srv.server, TECH.email, TECH.name, TECH.password);
    chromium = await launchChromium();
    tech = await newPage(await chromium.browser.createBrowserContext());
    cust = await newPage(await chromium.browser.createBrowserContext());
  });

  after(async () => {
    agentLike?.close();
    await chromium?.close();
    await srv?.close();
  });

  it('the queue shows the name the customer gave, the code, how they joined and a live wait time', async () => {
    await logInToConsole(tech, srv.url, TECH.email, TECH.password);
    await screenshotAt(tech, 'console-sessions-empty', 1280, 800);
    await screenshotAt(tech, 'console-sessions-empty', 390, 844);
    const browserCode = await newCode(tech);
    const agentCode = await newCode(tech);
    await screenshotAt(tech, 'console-codes', 1280, 800);
    await screenshotAt(tech, 'console-codes', 390, 844);

    // The support page: a name field beside the code.
    await cust.goto(`${srv.url}/`);
    await (await byRole(cust, 'textbox', 'Your name (optional, so your technician knows who is waiting)')).type('Anna Berger');
    await (await byRole(cust, 'textbox', 'Enter your 6-digit code')).type(browserCode);
    await screenshotAt(cust, 'customer-code-with-name', 1280, 800);
    await screenshotAt(cust, 'customer-code-with-name', 390, 844);
    await clickRole(cust, 'button', 'Start');
    await byTestId(cust, 'technician-name');
    await screenshotAt(cust, 'customer-choice', 1280, 800);
    await screenshotAt(cust, 'customer-choice', 390, 844);

    // The support app, as `--name` sends it; control and bidi characters never reach the screen.
    agentLike = await openCustomerSocket(srv.server);
    await agentLike.next('welcome');
    agentLike.send({ type: 'code.submit', id: 'c', code: agentCode, client: 'agent', name: 'Bob\u202e Smith\u0007' });
    await agentLike.next('code.accepted');

    const anna = await queueRow(tech, 'Anna Berger');
    expect(anna.details).to.match(new RegExp(`^Browser · code ${browserCode} · waiting \\d+ s$`));
    const bob = await queueRow(tech, 'Bob Smith');
    expect(bob.details).to.match(new RegExp(`^Support app · code ${agentCode} · waiting \\d+ s$`));
    // The wait counts on its own, without any new message from the server.
    // Polled, not slept: on a loaded machine the page's one-second timer can fire late, and
    // this checks that the figure moves by itself, not how punctually (bounded at 15 s).
    const first = Number.parseInt(anna.wait, 10);
    let later = first;
    for (const until = Date.now() + 15_000; later < first + 2 && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 250));
      later = Number.parseInt((await queueRow(tech, 'Anna Berger')).wait, 10);
    }
    expect(later).to.be.at.least(first + 2);
    await screenshotAt(tech, 'console-queue', 1280, 800);
    await screenshotAt(tech, 'console-queue', 390, 844);
  });

  it('double-clicking Start opens one tab and shows no error', async () => {
    const start = await byRole(tech, 'button', 'Start session with Anna Berger');
    await start.click({ count: 2, delay: 30 });
    await byTestId(tech, 'session-tab');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await texts(tech, '[data-testid="session-tab"]')).to.deep.equal(['1. Anna Berger']);
    expect(await texts(tech, '.notice')).to.deep.equal([]);
  });

  it('the navigation moves between Sessions, Ad hoc support and Computers, and the session stays open', async () => {
    const current = async (): Promise<string[]> => texts(tech, 'nav a[aria-current="page"]');
    expect(await current()).to.deep.equal(['Sessions1']);
    await clickRole(tech, 'link', 'Ad hoc support');
    await waitForFn(tech, () => location.hash === '#adhoc', 5000, '#adhoc');
    expect(await current()).to.deep.equal(['Ad hoc support']);
    await waitForFn(tech, () => true);
    for (let i = 0; i < 100 && !(await texts(tech, 'h2')).includes('Ad Hoc Support'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(await (await pollFor(tech, 'pierce/[data-testid="page-sessions"]')).evaluate((el) => (el as HTMLElement).hidden)).to.equal(true);
    await screenshotAt(tech, 'console-adhoc-support', 1280, 800);
    await screenshotAt(tech, 'console-adhoc-support', 390, 844);
    await clickRole(tech, 'link', 'Computers');
    // The page marks its link once the hash change has rendered, which is not at once after the click.
    for (let i = 0; i < 100 && (await current())[0] !== 'Computers'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await current()).to.deep.equal(['Computers']);
    await screenshotAt(tech, 'console-computers', 1280, 800);
    await screenshotAt(tech, 'console-computers', 390, 844);
    // Administration appears only when the console has such a page; this one has none yet.
    expect(await texts(tech, 'nav a')).to.deep.equal(['Sessions1', 'Ad hoc support', 'Computers']);
    await (await byTestId(tech, 'nav-sessions')).click();
    expect(await texts(tech, '[data-testid="session-tab"]')).to.deep.equal(['1. Anna Berger']);
  });

  it('at 1280x800 the video, chat, permissions and log are all on screen without scrolling; 390x844 stacks them', async () => {
    await clickRole(cust, 'button', 'Share my screen from this browser');
    const ask = await byRole(tech, 'button', 'Ask to view screen');
    await waitForFn(tech, () => true);
    for (let i = 0; i < 150 && (await ask.evaluate((b) => (b as HTMLButtonElement).disabled)); i++) await new Promise((r) => setTimeout(r, 100));
    await ask.click();
    await clickRole(cust, 'button', 'Yes, allow: View your screen');
    await byTestId(cust, 'sharing-status');
    await tech.setViewport({ width: 1280, height: 800 });
    await tech.evaluate(() => window.scrollTo(0, 0));
    for (const id of ['remote-video', 'permissions', 'chat-messages', 'session-log']) {
      const b = await box(tech, id);
      expect(b.y, `${id} top`).to.be.at.least(0);
      expect(b.y + b.height, `${id} bottom`).to.be.at.most(800);
      expect(b.x + b.width, `${id} right`).to.be.at.most(1280);
      expect(b.height, `${id} height`).to.be.greaterThan(60);
    }
    const chatInput = await byRole(tech, 'textbox', 'Chat message');
    const inputBox = (await chatInput.boundingBox())!;
    expect(inputBox.y + inputBox.height).to.be.at.most(800);
    const video = await box(tech, 'remote-video');
    expect(video.width, 'video width').to.be.greaterThan(560);
    await screenshotAt(tech, 'console-session', 1280, 800);
    await screenshotAt(tech, 'console-session', 390, 844);
    await screenshotAt(cust, 'customer-session', 1280, 800);
    await screenshotAt(cust, 'customer-session', 390, 844);
    // 390x844: one column, the video first and as wide as the screen allows.
    await tech.setViewport({ width: 390, height: 844 });
    const narrow = await box(tech, 'remote-video');
    expect(narrow.width).to.be.greaterThan(330);
    const perms = await box(tech, 'permissions');
    expect(perms.y).to.be.greaterThan(narrow.y + narrow.height);
    // Permissions, chat and log come right after the video; files and connection facts after them.
    expect((await box(tech, 'session-log')).y).to.be.lessThan((await box(tech, 'connection-facts')).y);
    await tech.setViewport({ width: 1280, height: 800 });
  });

  it(`a 100,000-character chat stops at ${LIMITS.chatChars} characters and says so; it and a later message arrive`, async () => {
    const input = await byRole(tech, 'textbox', 'Chat message');
    await input.focus();
    // As a paste or an input method would insert it: one insertion of 100,000 characters.
    await tech.keyboard.sendCharacter('x'.repeat(100_000));
    expect(await input.evaluate((el) => (el as HTMLInputElement).value.length)).to.equal(LIMITS.chatChars);
    const [note] = await texts(tech, '[data-testid="chat-limit"]');
    expect(note).to.equal('At most 4,000 characters a message; the rest was not added.');
    // The note does not push the log off the screen.
    const log = await box(tech, 'session-log');
    expect(log.y + log.height).to.be.at.most(800);
    await screenshotAt(tech, 'console-chat-limit', 1280, 800);
    await screenshotAt(tech, 'console-chat-limit', 390, 844);
    await input.press('Enter');
    await input.type('and this arrives too');
    await input.press('Enter');
    for (let i = 0; i < 100 && (await peerChats(cust)).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    const got = await peerChats(cust);
    expect(got.map((t) => t.length)).to.deep.equal([LIMITS.chatChars, 'and this arrives too'.length]);
    expect(got[1]).to.equal('and this arrives too');
    expect(await texts(tech, '[data-testid="chat-limit"]')).to.deep.equal(['']);
  });

  it(`the customer page too: a 100,000-character paste stops at ${LIMITS.chatChars} characters and says so; it and a later message reach the console`, async () => {
    const before = (await peerChats(tech)).length;
    const input = await byRole(cust, 'textbox', 'Chat message');
    await input.focus();
    await cust.keyboard.sendCharacter('y'.repeat(100_000));
    expect(await input.evaluate((el) => (el as HTMLInputElement).value.length)).to.equal(LIMITS.chatChars);
    expect(await texts(cust, '[data-testid="chat-limit"]')).to.deep.equal(['At most 4,000 characters a message; the rest was not added.']);
    await screenshotAt(cust, 'customer-chat-limit', 1280, 800);
    await screenshotAt(cust, 'customer-chat-limit', 390, 844);
    await input.press('Enter');
    await input.type('customer follow-up');
    await input.press('Enter');
    for (let i = 0; i < 100 && (await peerChats(tech)).length < before + 2; i++) await new Promise((r) => setTimeout(r, 100));
    const got = (await peerChats(tech)).slice(before);
    expect(got.map((t) => t.length)).to.deep.equal([LIMITS.chatChars, 'customer follow-up'.length]);
    expect(got[1]).to.equal('customer follow-up');
    expect(await texts(cust, '[data-testid="chat-limit"]')).to.deep.equal(['']);
  });

  it('End session asks once, saying what will happen; Keep the session keeps it', async () => {
    await clickRole(tech, 'button', 'End session');
    const dialog = await byTestId(tech, 'confirm-dialog');
    const text = await dialog.evaluate((el) => (el.textContent ?? '').replace(/\s+/g, ' ').trim());
    expect(text).to.include('End the session with Anna Berger?');
    expect(text).to.include('you stop seeing their screen');
    await screenshotAt(tech, 'console-end-confirm', 1280, 800);
    await screenshotAt(tech, 'console-end-confirm', 390, 844);
    await clickRole(tech, 'button', 'Keep the session');
    await new Promise((r) => setTimeout(r, 500));
    expect(await tech.$('pierce/[data-testid="ended"]')).to.equal(null);
    expect(await cust.$('pierce/[data-testid="ended"]')).to.equal(null);

    await clickRole(tech, 'button', 'End session');
    await (await byTestId(tech, 'confirm-ok')).click();
    await byTestId(tech, 'ended');
    await byTestId(cust, 'ended');
    await screenshotAt(tech, 'console-session-ended', 1280, 800);
    await screenshotAt(tech, 'console-session-ended', 390, 844);
    await screenshotAt(cust, 'customer-ended', 1280, 800);
    await screenshotAt(cust, 'customer-ended', 390, 844);
  });
  it('the customer screens before a session starts: the support app instructions, then waiting for the technician', async () => {
    const code = await newCode(tech);
    const page = await newPage(await chromium.browser.createBrowserContext());
    await page.goto(`${srv.url}/`);
    await (await byRole(page, 'textbox', 'Enter your 6-digit code')).type(code);
    await clickRole(page, 'button', 'Start');
    await clickRole(page, 'button', 'Run the support app');
    const command = await byTestId(page, 'agent-command');
    expect(await command.evaluate((el) => el.textContent ?? '')).to.match(/^curl -fsSLo relay-rescue-support-linux-x64 '.+\/download\/linux\?token=.+' && chmod \+x relay-rescue-support-linux-x64 && \.\/relay-rescue-support-linux-x64$/);
    await screenshotAt(page, 'customer-agent', 1280, 800);
    await screenshotAt(page, 'customer-agent', 390, 844);
    await clickRole(page, 'button', 'Back');
    await clickRole(page, 'button', 'Share my screen from this browser');
    await waitForFn(page, () => (document.querySelector('rr-support-page')?.shadowRoot?.textContent ?? '').includes('Waiting for your technician'), 10_000, 'the waiting text');
    await screenshotAt(page, 'customer-connecting', 1280, 800);
    await screenshotAt(page, 'customer-connecting', 390, 844);
    await page.close();
  });
});
