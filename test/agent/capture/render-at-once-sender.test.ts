import { expect } from 'chai';
import { AGENT_FIELD_TRIALS, applyAgentFieldTrials } from '../../../agent/capture/render-at-once-sender.ts';

describe('agent/capture/render-at-once-sender', () => {
  it('asks the platform once for the playout-delay trial, however many sessions start', () => {
    const asked: string[] = [];
    const platform = { webrtcFieldTrials: (t: string) => (asked.push(t), '') };
    expect(applyAgentFieldTrials(platform)).to.equal('');
    expect(applyAgentFieldTrials(platform)).to.equal('');
    expect(asked).to.deep.equal([AGENT_FIELD_TRIALS]);
  });

  it('passes on why the platform could not set it (the agent prints it; video still works)', () => {
    const platform = { webrtcFieldTrials: () => 'not on Windows' };
    expect(applyAgentFieldTrials(platform)).to.equal('not on Windows');
  });
});
