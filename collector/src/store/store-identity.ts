import { promises as fs } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LocalStore, type ObjectStore } from '@nsnap/shared/core';

/**
 * The store a destination names, spelled one way whatever way the flags spelled
 * it, so its spool is found again: a local directory by its real path (the
 * nearest existing directory resolved through symlinks, then the rest), an S3
 * prefix with the endpoint it is reached through (scheme and host lower case,
 * no default port, no trailing `/`).
 */
export async function storeIdentity(store: ObjectStore, s3Endpoint: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (store instanceof LocalStore) return pathToFileURL(await realPathOfFuture(store.root)).href;
  const endpoint = s3Endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  return endpoint ? `${store.url} ${canonicalEndpoint(endpoint)}` : store.url;
}

/** How earlier builds keyed the spool (the store's URL and --s3-endpoint exactly as typed): a spool keyed so is adopted, not stranded. */
export function legacyStoreIdentity(store: ObjectStore, s3Endpoint: string | undefined): string {
  return s3Endpoint && store.url.startsWith('s3://') ? `${store.url} ${s3Endpoint}` : store.url;
}

export function canonicalEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint.trim());
  } catch {
    return endpoint.trim();
  }
  // URL lower-cases scheme and host and drops the scheme's default port.
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/** The real path `dir` has, or will have once created: its nearest existing ancestor through realpath, then the missing rest. */
async function realPathOfFuture(dir: string): Promise<string> {
  const rest: string[] = [];
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    try {
      return path.join(await fs.realpath(at), ...rest.reverse());
    } catch {
      if (path.dirname(at) === at) return path.resolve(dir);
      rest.push(path.basename(at));
    }
  }
}
