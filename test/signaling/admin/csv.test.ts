import { expect } from 'chai';
import { csvCell, csvRow } from '../../../signaling/admin/csv.ts';
import { parseCsv } from '../../../testkit/csv.ts';

describe('signaling/admin/csv', () => {
  it('quotes cells with commas, quotes, line breaks or edge spaces, doubling inner quotes', () => {
    expect(csvCell('plain')).to.equal('plain');
    expect(csvCell('a,b')).to.equal('"a,b"');
    expect(csvCell('say "hi"')).to.equal('"say ""hi"""');
    expect(csvCell('two\nlines')).to.equal('"two\nlines"');
    expect(csvCell(' padded')).to.equal('" padded"');
    expect(csvCell(null)).to.equal('');
    expect(csvCell(42)).to.equal('42');
  });

  it('prefixes cells a spreadsheet would run as a formula: = + - @, tab, carriage return', () => {
    for (const text of ['=1+1', '+1', '-1', '@SUM(A1)', '\t=1', '\r=1']) expect(parseCsv(csvRow([text]))[0]?.[0]).to.equal(`'${text}`);
    expect(csvCell('=HYPERLINK("http://evil.example","x")')).to.equal('"\'=HYPERLINK(""http://evil.example"",""x"")"');
    expect(csvCell('a=1')).to.equal('a=1');
    expect(csvCell(-5)).to.equal('-5');
  });

  it('round-trips through an RFC 4180 reader with CRLF records', () => {
    const row = ['id', 'a,b', 'x"y', 'line\nbreak', '=cmd'];
    const text = csvRow(row) + csvRow(['second']);
    expect(text.endsWith('\r\n')).to.equal(true);
    expect(parseCsv(text)).to.deep.equal([['id', 'a,b', 'x"y', 'line\nbreak', "'=cmd"], ['second']]);
  });
});
