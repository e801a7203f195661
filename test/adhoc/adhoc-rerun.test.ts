import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pairingSchema } from '../../agent/adhoc/pairing-store.ts';
import { runAgent, startHarness, technician, waitFor, type Harness } from './helpers.ts';

const PASSWORD = 'Lamp-Orbit-97-Quill!';

/**
 * The downloaded applet carries its deployment token, so a user who starts the
 * same file again (after a reboot, or after closing its window) passes the same
 * token: that resumes the pairing. A new link still replaces it.
 */
describe('ad hoc support: starting the same download again', function () {
  this.timeout(60_000);
  let h: Harness;

  before(async () => {
    h = await startHarness({});
  });
  after(async () => {
    await h.close();
  });

  it('resumes the pairing without asking for a code; the pairing file keeps only a digest of the token', async () => {
    const tech = await technician(h, 'rita@example.test', 'Rita');
    const created = await tech.api.create('user@example.test');
    const token = created.deploymentUrl.split('/adhoc/')[1]!;
    let asked = 0;
    const first = runAgent(h, {
      deploymentToken: token,
      askSecurityCode: async () => {
        asked++;
        return created.securityCode;
      },
    });
    await waitFor(() => tech.updates.some((u) => u.state === 'code_entered'), 'code_entered');
    const pairing = await tech.client.connect(created.session.adhocId, PASSWORD, { pairing: true });
    await waitFor(() => tech.updates.some((u) => u.state === 'paired' && u.online), 'paired');
    pairing.close();
    const stored = readFileSync(join(first.stateDir, 'pairing.json'), 'utf8');
    expect(stored, 'the token itself is not kept').to.not.include(token);
    const agentToken = pairingSchema.parse(JSON.parse(stored)).agentToken;
    expect(asked).to.equal(1);

    // The window is closed: the agent stops without unpairing, and the computer shows offline.
    first.agent.stop();
    expect((await first.done).reason).to.equal('stopped');
    await waitFor(() => tech.updates.at(-1)?.online === false, 'offline');

    // The same file started again: same token, no code asked, the same pairing online again.
    const again = runAgent(h, { deploymentToken: token, askSecurityCode: async () => (asked++, created.securityCode) });
    await waitFor(() => tech.updates.at(-1)?.online === true && tech.updates.at(-1)?.state === 'paired', 'online again');
    expect(asked).to.equal(1);
    expect(again.log.join('\n')).to.include('already paired with Rita from this link');
    expect(pairingSchema.parse(JSON.parse(readFileSync(join(again.stateDir, 'pairing.json'), 'utf8'))).agentToken).to.equal(agentToken);
    const conn = await tech.client.connect(created.session.adhocId, PASSWORD);
    conn.close();
    again.agent.stop();
    await again.done;
    tech.client.close();
  });
});
