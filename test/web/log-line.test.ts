import { expect } from 'chai';
import { logLineText } from '../../web/shared/log-line.ts';
import { customerLogText } from '../../web/customer/log-text.ts';

describe('web/shared/log-line: session log lines read as sentences, one colon per line', () => {
  const ann = { name: 'Ann Tech', you: false };
  it('a verb continues the name: "Ann Tech asks: …", "Ann Tech asked: …"', () => {
    expect(logLineText(ann, 'permission', 'asks: View your screen')).to.equal('Ann Tech asks: View your screen');
    expect(logLineText(ann, 'permission', 'asked: View your screen.')).to.equal('Ann Tech asked: View your screen.');
  });
  it('a decision names who decided after it', () => {
    expect(logLineText({ name: 'Bob', you: false }, 'permission', 'View your screen: granted.')).to.equal('View your screen: granted by Bob.');
    expect(customerLogText('customer', 'permission', 'Send and receive files: revoked', 'Ann Tech')).to.equal('Send and receive files: revoked by you');
  });
  it('other lines: "Name: text"; the system alone', () => {
    expect(logLineText(ann, 'file', 'Sent report.pdf (1.2 MB).')).to.equal('Ann Tech: Sent report.pdf (1.2 MB).');
    expect(logLineText(null, 'permission', 'View your screen: asked.')).to.equal('View your screen: asked.');
    expect(customerLogText('system', 'session', 'Connected.', 'Ann Tech')).to.equal('Connected.');
    expect(customerLogText('technician', 'permission', 'asks: View your screen', 'Ann Tech')).to.equal('Ann Tech asks: View your screen');
  });
});
