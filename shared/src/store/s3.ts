import type { StoreOptions } from './open.js';
import type { ObjectStore } from './store.js';

export class S3Store {
  static fromUrl(url: string, _options: StoreOptions): ObjectStore {
    throw new Error(`S3 stores are not available in this build: ${url}`);
  }
}
