import { expect } from 'chai';
import { SessionLog } from '../../rtc/session-log.ts';
import type { LogEntry } from '../../rtc/session-log.ts';

describe('rtc/session-log', () => {
  it('records entries in order with the given clock and emits each', () => {
    let t = 1000;
    const log = new SessionLog(10, () => t++);
    const seen: LogEntry[] = [];
    log.on('entry', (e) => seen.push(e));
    log.add('system', 'connection', 'Connected directly');
    log.add('technician', 'chat', 'Hello');
    expect(log.entries()).to.deep.equal([
      { at: 1000, actor: 'system', kind: 'connection', text: 'Connected directly' },
      { at: 1001, actor: 'technician', kind: 'chat', text: 'Hello' },
    ]);
    expect(seen).to.have.length(2);
  });

  it('drops the oldest entries past its bound', () => {
    const log = new SessionLog(3);
    for (let i = 0; i < 5; i++) log.add('customer', 'chat', `m${i}`, i);
    expect(log.entries().map((e) => e.text)).to.deep.equal(['m2', 'm3', 'm4']);
    expect(log.size).to.equal(3);
  });
});
