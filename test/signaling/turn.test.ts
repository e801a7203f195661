import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { beforeWritesLeave, holdWritesForThisTurn, reportTurnFailures } from '../../signaling/turn.ts';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Runs turns (at most `max`) until `done()`; the number of turns it took. */
async function turnsUntil(done: () => boolean, max: number, eachTurn: () => void = () => {}): Promise<number> {
  for (let turns = 1; turns <= max; turns++) {
    eachTurn();
    await nextTurn();
    if (done()) return turns;
  }
  throw new Error(`not done after ${max} turns`);
}

describe('signaling/turn: group commit', () => {
  afterEach(() => reportTurnFailures((error) => console.error('could not commit the writes of an event-loop turn:', error)));

  it('one commit covers a later turn that brought writes; the writes of both turns leave after it', async () => {
    const first = new PassThrough();
    const second = new PassThrough();
    const corkedAtCommit: number[] = [];
    let commits = 0;
    holdWritesForThisTurn(first);
    first.write('step reply');
    beforeWritesLeave(() => {
      commits++;
      corkedAtCommit.push(first.writableCorked, second.writableCorked);
    });
    // The next turn, before the commit: a write to another socket joins the same commit.
    setImmediate(() => {
      holdWritesForThisTurn(second);
      second.write('relayed');
    });
    await turnsUntil(() => commits > 0, 1000);
    expect(commits).to.equal(1);
    expect(corkedAtCommit).to.deep.equal([1, 1]);
    await nextTurn();
    expect([first.writableCorked, second.writableCorked]).to.deep.equal([0, 0]);
    expect(String(first.read())).to.equal('step reply');
    expect(String(second.read())).to.equal('relayed');
  });

  it('on a quiet loop the commit waits only for the turn that brings nothing new', async () => {
    let committed = false;
    beforeWritesLeave(() => {
      committed = true;
    });
    expect(await turnsUntil(() => committed, 3)).to.be.at.most(3);
  });

  it('a loop that keeps bringing writes still commits (the wait is bounded)', async () => {
    let committed = false;
    beforeWritesLeave(() => {
      committed = true;
    });
    const sockets: PassThrough[] = [];
    await turnsUntil(
      () => committed,
      1_000_000,
      () => {
        const socket = new PassThrough();
        sockets.push(socket);
        holdWritesForThisTurn(socket);
      },
    );
    expect(committed).to.equal(true);
    await nextTurn();
    expect(sockets.filter((s) => s.writableCorked > 0).length).to.be.at.most(1);
  });

  it('a failed commit cuts every socket held while it waited, in every turn it covered', async () => {
    const errors: unknown[] = [];
    reportTurnFailures((error) => errors.push(error));
    const first = new PassThrough();
    const second = new PassThrough();
    holdWritesForThisTurn(first);
    beforeWritesLeave(() => {
      throw new Error('disk full');
    });
    setImmediate(() => holdWritesForThisTurn(second));
    await turnsUntil(() => errors.length > 0, 1000);
    expect(String(errors[0])).to.include('disk full');
    expect([first.destroyed, second.destroyed]).to.deep.equal([true, true]);
  });
});
