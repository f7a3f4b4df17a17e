import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { bundleKey, type Bundle } from '@nsnap/shared/core';

export interface EncodedBundle {
  key: string;
  json: string;
  gzip: Buffer;
  sha256: string;
}

/** The bundle as stored: gzip'd JSON under its layout key, with the sha256 of the stored bytes. */
export function encodeBundle(bundle: Bundle): EncodedBundle {
  const json = JSON.stringify(bundle);
  const gzip = gzipSync(json, { level: 6 });
  return {
    key: bundleKey({ host: bundle.host.label, takenAt: bundle.takenAt.start, snapshotId: bundle.snapshotId }),
    json,
    gzip,
    sha256: createHash('sha256').update(gzip).digest('hex'),
  };
}
