import { describe, expect, it } from 'vitest';
import { defaultLockPath, defaultSpoolRoot, spoolDirFor } from './default-paths.js';

describe('defaultSpoolRoot', () => {
  it('uses /var/lib for root, whatever the environment says', () => {
    expect(defaultSpoolRoot({ XDG_STATE_HOME: '/x' }, 0, '/root')).toBe('/var/lib/nsnap/spool');
  });

  it('uses XDG_STATE_HOME for a user, else ~/.local/state; a relative XDG value is ignored', () => {
    expect(defaultSpoolRoot({ XDG_STATE_HOME: '/home/u/state' }, 1000, '/home/u')).toBe('/home/u/state/nsnap/spool');
    expect(defaultSpoolRoot({}, 1000, '/home/u')).toBe('/home/u/.local/state/nsnap/spool');
    expect(defaultSpoolRoot({ XDG_STATE_HOME: 'rel/state' }, 1000, '/home/u')).toBe('/home/u/.local/state/nsnap/spool');
    expect(defaultSpoolRoot({ XDG_STATE_HOME: '' }, 1000, '/home/u')).toBe('/home/u/.local/state/nsnap/spool');
  });
});

describe('spoolDirFor', () => {
  it('gives each destination its own readable directory below the root', () => {
    const s3 = spoolDirFor('/var/lib/nsnap/spool', 's3://fleet-bundles/eu/web http://minio:9000');
    expect(s3).toMatch(/^\/var\/lib\/nsnap\/spool\/s3-fleet-bundles-eu-web-http-minio-9000-[0-9a-f]{12}$/);
    expect(spoolDirFor('/var/lib/nsnap/spool', 'file:///var/lib/nsnap/bundles')).toMatch(/^\/var\/lib\/nsnap\/spool\/file-var-lib-nsnap-bundles-[0-9a-f]{12}$/);
  });

  it('keeps destinations apart that differ only in characters the name drops', () => {
    const a = spoolDirFor('/s', 's3://b/x y');
    const b = spoolDirFor('/s', 's3://b/x_y');
    const c = spoolDirFor('/s', 's3://b/x-y');
    expect(new Set([a, b, c]).size).toBe(3);
    expect(spoolDirFor('/s', 's3://b/x y')).toBe(a);
  });

  it('never leaves the root, whatever the destination', () => {
    for (const d of ['file:///../../etc', '../../etc', '/', '', '.', 'x'.repeat(500)]) {
      const dir = spoolDirFor('/s', d);
      expect(dir.startsWith('/s/')).toBe(true);
      expect(dir.slice(3)).not.toContain('/');
    }
  });
});

describe('defaultLockPath', () => {
  it('puts the lock beside the spool directory', () => {
    expect(defaultLockPath('/var/lib/nsnap/spool/s3-b-abc')).toBe('/var/lib/nsnap/spool/s3-b-abc.lock');
    expect(defaultLockPath('/var/lib/nsnap/spool/s3-b-abc/')).toBe('/var/lib/nsnap/spool/s3-b-abc.lock');
  });
});
