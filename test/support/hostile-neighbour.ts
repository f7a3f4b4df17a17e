import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { netnsUnavailable } from './netns.js';

/**
 * Vitest global setup: for the whole run, a namespace no test owns carries
 * what root in any container can set — aliases with raw control bytes and
 * terminal escapes (iproute2 then prints invalid JSON), names that are not
 * UTF-8 — on its side and on the host side of its veths. Every test that
 * scans the host must pass next to it (issue 13: no test may assume a tame
 * host). `NSNAP_NO_HOSTILE_NEIGHBOUR=1` leaves it out.
 */
export async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env.NSNAP_NO_HOSTILE_NEIGHBOUR || netnsUnavailable()) return undefined;
  const id = randomBytes(3).toString('hex');
  const netns = `nsnap-hostile-${id}`;
  const controls = Array.from({ length: 0x1f }, (_, i) => String.fromCharCode(i + 1)).join('') + '\x7f';
  const line = (...parts: (string | number)[]) => Buffer.concat([...parts.map((p) => (typeof p === 'number' ? Buffer.of(p) : Buffer.from(p))), Buffer.from('\n')]);
  await execa('ip', ['netns', 'add', netns]);
  // Deleting the namespace deletes every veth with an end in it, host ends included.
  const teardown = async () => {
    await execa('ip', ['netns', 'del', netns], { reject: false });
  };
  try {
    await execa('ip', ['-batch', '-'], {
      input: Buffer.concat([
        line(`link add name h${id} type veth peer name eth0 netns ${netns}`),
        line(`link add name h${id}`, 0xff, ' type veth peer name e', 0xff, ` netns ${netns}`),
        line(`link add name h${id}`, 0xfe, ' type veth peer name e', 0xfe, ` netns ${netns}`),
      ]),
    });
    await execa('ip', ['link', 'set', 'dev', `h${id}`, 'alias', `\x1b]0;owned\x07\x1b[2J${controls}`]);
    await execa('ip', ['-n', netns, 'link', 'set', 'dev', 'eth0', 'alias', `\x1b[31m${controls}`]);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
