import { describe, expect, it } from 'vitest';
import { defaultLockPath, defaultSpoolDir } from './default-paths.js';

describe('defaultSpoolDir', () => {
  it('uses /var/lib for root, whatever the environment says', () => {
    expect(defaultSpoolDir({ XDG_STATE_HOME: '/x' }, 0, '/root')).toBe('/var/lib/nsnap/spool');
  });

  it('uses XDG_STATE_HOME for a user, else ~/.local/state; a relative XDG value is ignored', () => {
    expect(defaultSpoolDir({ XDG_STATE_HOME: '/home/u/state' }, 1000, '/home/u')).toBe('/home/u/state/nsnap/spool');
    expect(defaultSpoolDir({}, 1000, '/home/u')).toBe('/home/u/.local/state/nsnap/spool');
    expect(defaultSpoolDir({ XDG_STATE_HOME: 'rel/state' }, 1000, '/home/u')).toBe('/home/u/.local/state/nsnap/spool');
    expect(defaultSpoolDir({ XDG_STATE_HOME: '' }, 1000, '/home/u')).toBe('/home/u/.local/state/nsnap/spool');
  });
});

describe('defaultLockPath', () => {
  it('puts the lock beside the spool directory', () => {
    expect(defaultLockPath('/var/lib/nsnap/spool')).toBe('/var/lib/nsnap/nsnap-collect.lock');
    expect(defaultLockPath('/var/lib/nsnap/spool/')).toBe('/var/lib/nsnap/nsnap-collect.lock');
  });
});
