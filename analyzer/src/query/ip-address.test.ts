import { isIPv4, isIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLocalScope, parseAddressQuery, parseIp } from './ip-address.js';

describe('parseIp', () => {
  it('gives every form of one IPv6 address one key and the RFC 5952 text', () => {
    const forms = ['fe80::1', 'fe80:0:0::1', 'FE80::0001', 'fe80:0:0:0:0:0:0:1', 'fe80::0:0:1'];
    const parsed = forms.map(parseIp);
    expect(new Set(parsed.map((p) => p?.key)).size).toBe(1);
    expect(parsed.map((p) => p?.text)).toEqual(forms.map(() => 'fe80::1'));
  });

  it('writes the longest zero run as ::, the first of equal runs, and a single zero group as 0', () => {
    expect(parseIp('2001:db8:0:0:1:0:0:1')?.text).toBe('2001:db8::1:0:0:1');
    expect(parseIp('2001:db8:0:1:1:1:1:1')?.text).toBe('2001:db8:0:1:1:1:1:1');
    expect(parseIp('0:0:0:0:0:0:0:0')?.text).toBe('::');
    expect(parseIp('::ffff:10.0.0.1')?.text).toBe('::ffff:a00:1');
    expect(parseIp('::1.2.3.4')?.key).toBe('00000000000000000000000001020304');
  });

  it('keeps IPv4 and the IPv4-mapped IPv6 address apart: the kernel does', () => {
    expect(parseIp('10.0.0.1')?.key).not.toBe(parseIp('::ffff:10.0.0.1')?.key);
  });

  it('refuses what is not an address, leading zeros in IPv4 (octal to inet_aton) included', () => {
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '010.0.0.1', '1..2.3', 'fe80:::1', '1::2::3', ':1::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::8', 'g::1', '12345::', 'fe80::1%eth0', '::1.2.3', ' 1.2.3.4']) {
      expect(parseIp(bad), bad).toBeNull();
    }
  });

  it('accepts exactly what the kernel\'s textual forms allow (compared with node:net on random words)', () => {
    const word = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.'.split('')), maxLength: 45 });
    fc.assert(
      fc.property(word, (w) => {
        const p = parseIp(w);
        // node accepts IPv4 parts with leading zeros nowhere either; it does accept a zone id, which never reaches here.
        expect(p !== null).toBe(isIPv6(w) || isIPv4(w));
        if (p) expect(parseIp(p.text)?.key).toBe(p.key);
      }),
      { numRuns: 3000 },
    );
  });

  it('round-trips every IPv6 address through its text', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 }), (groups) => {
        const full = groups.map((g) => g.toString(16)).join(':');
        const p = parseIp(full);
        expect(p?.key).toBe(groups.map((g) => g.toString(16).padStart(4, '0')).join(''));
        expect(isIPv6(p!.text)).toBe(true);
        expect(parseIp(p!.text)?.key).toBe(p!.key);
      }),
    );
  });
});

describe('parseAddressQuery', () => {
  it('takes an address with or without a prefix length, and names what is wrong', () => {
    expect(parseAddressQuery('10.42.3.17')).toMatchObject({ address: { text: '10.42.3.17' }, prefixlen: null });
    expect(parseAddressQuery('fe80:0::1/64')).toMatchObject({ address: { text: 'fe80::1', family: 'inet6' }, prefixlen: 64 });
    expect(parseAddressQuery('10.0.0.1/33')).toEqual({ error: 'the prefix length must be a number 0-32' });
    expect(parseAddressQuery('fe80::1/129')).toEqual({ error: 'the prefix length must be a number 0-128' });
    expect(parseAddressQuery('10.0.0.1/')).toEqual({ error: 'the prefix length must be a number 0-32' });
    expect(parseAddressQuery('300.0.0.1')).toMatchObject({ error: expect.stringContaining('not an IPv4 address') });
    expect(parseAddressQuery('fe80::g')).toEqual({ error: 'not an IPv6 address' });
  });
});

describe('isLocalScope', () => {
  it('is loopback and link-local only', () => {
    const local = (t: string) => isLocalScope(parseIp(t)!);
    expect(['127.0.0.1', '169.254.1.1', '::1', 'fe80::1', 'febf::1'].map(local)).toEqual([true, true, true, true, true]);
    expect(['10.42.3.17', '172.17.0.2', 'fd00::1', 'fec0::1', '2001:db8::1'].map(local)).toEqual([false, false, false, false, false]);
  });
});
