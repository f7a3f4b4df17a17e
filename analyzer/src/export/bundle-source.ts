import { parseBundleKey, type ObjectStore } from '@nsnap/shared';
import { normalizeBundle } from '../ingest/normalize.js';
import { parseUnpacked, unpackBundle } from '../ingest/read-bundle.js';
import { keyMatches, pastUntil, planListing, planTopLevel, type KeyFilter, type ListingPlan } from '../ingest/remote-listing-plan.js';
import { lakeRowsFromBundle } from './rows-from-bundle.js';
import type { SourceSnapshot } from './run-export.js';

/**
 * The bundles of a store that the filter chooses, read as ingest reads them (unpack, validate,
 * normalize and correlate) but into lake rows, with no database in between. Only the prefixes the
 * filter needs are listed (as `nsnap ingest` does); keys outside the layout are passed over.
 */
export async function* bundleSnapshots(store: ObjectStore, filter: KeyFilter, now: () => Date): AsyncGenerator<SourceSnapshot> {
  const plan = planListing(filter, now());
  const plans: ListingPlan[] = [];
  if (plan.byHost) {
    for await (const page of store.listPrefixes('')) for (const prefix of page) plans.push(planTopLevel(prefix, filter, now()));
  } else {
    plans.push(plan);
  }
  for (const p of plans) {
    for (const prefix of p.prefixes) {
      listing: for await (const page of store.list(prefix)) {
        for (const info of page) {
          const key = parseBundleKey(info.key);
          if (key === null) continue;
          if (p.ordered && pastUntil(key, filter)) break listing;
          if (!keyMatches(key, filter)) continue;
          yield {
            ref: { host: key.host, takenAt: key.takenAt, snapshotId: key.snapshotId },
            load: async () => {
              const unpacked = unpackBundle(await store.get(info.key));
              const { bundle, gaps } = parseUnpacked(unpacked);
              if (bundle.snapshotId !== key.snapshotId) throw new Error(`${store.locate(info.key)} holds snapshot ${bundle.snapshotId}, not the one its key names`);
              const rows = normalizeBundle(bundle);
              rows.gaps.push(...gaps);
              return lakeRowsFromBundle(rows, { contentSha256: unpacked.contentSha256, jsonBytes: unpacked.json.byteLength });
            },
          };
        }
      }
    }
  }
}
