import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MarkerSplitter } from './bulk-capture.js';

const M = '@@nsnap-0123456789ab';
const stream = [
  `${M} start /proc/self/fd/3\n`,
  '[{"ifindex":1,"ifname":"lo"}]\n[{"ifindex":1,"ifname":"lo","addr_info":[]}]\n',
  `${M} ok\n`,
  `${M} start /proc/self/fd/4\n`,
  'nsenter: reassociate to namespace failed\n',
  `${M} fail\n`,
  `${M} start /proc/self/fd/5\n`,
  '[{"ifindex":1,"ifname":"lo","ifalias":"@@nsnap-ffffffffffff ok"}]', // no final newline, a foreign marker inside
  `${M} ok\n`,
  `${M} start /proc/self/fd/6\n`,
  '[{"ifindex":1,"ifname":"é"}]\n', // killed before its end
].join('');

const expected = [
  { fd: 3, stdout: '[{"ifindex":1,"ifname":"lo"}]\n[{"ifindex":1,"ifname":"lo","addr_info":[]}]\n' },
  { fd: 5, stdout: '[{"ifindex":1,"ifname":"lo","ifalias":"@@nsnap-ffffffffffff ok"}]' },
];

describe('MarkerSplitter', () => {
  it('cuts a worker stream into the captures that ended with ok: not a failed one, not one cut off', () => {
    expect(new MarkerSplitter(M).push(Buffer.from(stream))).toEqual(expected);
  });

  it('gives the same captures however the stream arrives in pieces (even inside a marker or a UTF-8 character)', () => {
    const bytes = Buffer.from(stream);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 40 }), (cuts) => {
        const splitter = new MarkerSplitter(M);
        const got = [];
        let from = 0;
        for (const cut of [...cuts].sort((a, b) => a - b)) {
          got.push(...splitter.push(bytes.subarray(from, cut)));
          from = cut;
        }
        got.push(...splitter.push(bytes.subarray(from)));
        expect(got).toEqual(expected);
      }),
    );
  });

  it('answers each capture as soon as its ok arrives', () => {
    const splitter = new MarkerSplitter(M);
    const end = stream.indexOf(`${M} ok\n`) + `${M} ok\n`.length;
    expect(splitter.push(Buffer.from(stream.slice(0, end - 1)))).toEqual([]);
    expect(splitter.push(Buffer.from(stream.slice(end - 1, end)))).toEqual([expected[0]]);
  });
});
