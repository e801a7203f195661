import { expect } from 'chai';
import { SESSION_STATES, type SessionState } from '../../protocol/index.ts';
import { IllegalTransitionError, SESSION_TRANSITIONS, SessionLifecycle, canTransition } from '../../signaling/session-state.ts';

/** Drives a fresh lifecycle into `state` along allowed edges. */
function lifecycleIn(state: SessionState): SessionLifecycle {
  const life = new SessionLifecycle();
  const path: Record<SessionState, SessionState[]> = {
    pending: [],
    queued: ['queued'],
    active: ['queued', 'active'],
    suspended: ['queued', 'active', 'suspended'],
    closed: ['closed'],
  };
  for (const step of path[state]) life.transition(step, 'created');
  expect(life.state).to.equal(state);
  return life;
}

const ALLOWED: [SessionState, SessionState][] = [
  ['pending', 'queued'],
  ['pending', 'closed'],
  ['queued', 'active'],
  ['queued', 'closed'],
  ['active', 'suspended'],
  ['active', 'closed'],
  ['suspended', 'active'],
  ['suspended', 'closed'],
];

describe('signaling/session-state', () => {
  it('the table has exactly the documented edges', () => {
    const edges = SESSION_STATES.flatMap((from) => SESSION_TRANSITIONS[from].map((to) => [from, to]));
    expect(edges).to.have.deep.members(ALLOWED);
    expect(edges).to.have.length(ALLOWED.length);
  });

  for (const from of SESSION_STATES) {
    for (const to of SESSION_STATES) {
      const allowed = ALLOWED.some(([a, b]) => a === from && b === to);
      it(`${from} -> ${to} is ${allowed ? 'allowed' : 'rejected'}`, () => {
        const life = lifecycleIn(from);
        expect(canTransition(from, to)).to.equal(allowed);
        if (allowed) {
          life.transition(to, 'activated');
          expect(life.state).to.equal(to);
          expect(life.reason).to.equal('activated');
        } else {
          expect(() => life.transition(to, 'activated')).to.throw(IllegalTransitionError, `${from} -> ${to}`);
          expect(life.state).to.equal(from);
        }
      });
    }
  }

  it('starts pending with reason created', () => {
    const life = new SessionLifecycle();
    expect([life.state, life.reason]).to.deep.equal(['pending', 'created']);
  });

  it('close() is idempotent and keeps the first reason', () => {
    const changes: string[] = [];
    const life = new SessionLifecycle((from, to, reason) => changes.push(`${from}>${to}:${reason}`));
    expect(life.close('technician_ended')).to.equal(true);
    expect(life.close('customer_ended')).to.equal(false);
    expect(life.reason).to.equal('technician_ended');
    expect(changes).to.deep.equal(['pending>closed:technician_ended']);
  });
});
