import { expect } from 'chai';
import type { Page } from 'puppeteer-core';
import { WebSocket } from 'ws';
import { byTestId, clickRole, createTechnician, ensureBuilt, launchChromium, logInToConsole, newPage, startWebServer, texts } from '../../testkit/web-harness.ts';
import type { TestServer } from '../../testkit/web-harness.ts';

const TECH = { email: 'race@example.test', name: 'Rae Tech', password: 'correct horse battery staple' };

/**
 * A customer page enters the code over HTTP and joins the signaling socket a
 * moment later. A technician who presses Start in between must not lose the
 * session: the console keeps trying until the customer is reachable.
 */
describe('web: Start pressed before the customer page has connected', function () {
  this.timeout(90_000);
  let srv: TestServer;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let tech: Page;

  before(async function () {
    this.timeout(180_000);
    ensureBuilt();
    srv = await startWebServer();
    await createTechnician(srv.server, TECH.email, TECH.name, TECH.password);
    chromium = await launchChromium();
    tech = await newPage(await chromium.browser.createBrowserContext());
  });
  after(async () => {
    await chromium?.close();
    await srv?.close();
  });

  it('activates once the customer connects, and the customer gets session.activated', async () => {
    await logInToConsole(tech, srv.url, TECH.email, TECH.password);
    await clickRole(tech, 'button', 'Create session code');
    const code = await (await byTestId(tech, 'session-code')).evaluate((el) => el.textContent ?? '');

    // The customer enters the code over HTTP only: queued, but no socket yet.
    const res = await fetch(`${srv.url}/api/code`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, client: 'browser' }),
    });
    expect(res.status).to.equal(200);
    const { token } = (await res.json()) as { token: string };
    const row = await byTestId(tech, 'queue-row');
    await (await row.$('button'))!.click();
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect((await texts(tech, '[role="status"], .notice, [data-testid="notice"]')).join(' ')).to.match(/Waiting for the customer to connect/);

    // Now the page's socket joins with its token.
    const ws = new WebSocket(`${srv.server.wsUrl}/ws/customer`);
    const activated = new Promise<{ role: string }>((resolve) => {
      ws.on('message', (data: Buffer) => {
        const msg = JSON.parse(data.toString()) as { type: string; role: string };
        if (msg.type === 'session.activated') resolve(msg);
      });
    });
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ type: 'customer.resume', token, client: 'browser' }));
    expect((await activated).role).to.equal('customer');
    ws.close();
  });
});
