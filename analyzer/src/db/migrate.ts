import type { Database } from 'better-sqlite3';
import { DatabaseError } from '../errors.js';
import { MIGRATIONS, type Migration } from './migrations.js';

/**
 * Brings the database to the newest schema: every pending migration and the
 * new `user_version` in one transaction, so a failure leaves it as it was.
 * A database written by a newer nsnap is refused rather than misread.
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS, label = 'database'): { from: number; to: number } {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
  const target = migrations.length;
  const version = () => {
    const v = db.pragma('user_version', { simple: true }) as number;
    if (v > target) throw new DatabaseError(`${label} has schema version ${v}, newer than this nsnap understands (${target}): upgrade nsnap to read it`);
    return v;
  };
  const from = version();
  if (from === target) return { from, to: target };
  // Read again under the write lock (BEGIN IMMEDIATE): another nsnap may have migrated since the
  // read above, and applying its migrations twice fails (`table hosts already exists`).
  return db.transaction(() => {
    const locked = version();
    for (const m of migrations.slice(locked)) {
      db.exec(m.sql);
      m.run?.(db);
    }
    // PRAGMA takes no bound parameters; `target` is an integer from the list above.
    if (locked < target) db.pragma(`user_version = ${target}`);
    return { from: locked, to: target };
  }).immediate();
}

