import { existsSync } from 'node:fs';
import Sqlite, { type Database } from 'better-sqlite3';
import { DatabaseError, UsageError, quote } from '../errors.js';
import { migrate } from './migrate.js';

export interface OpenOptions {
  /** Queries need an existing database; ingest creates it. */
  mustExist: boolean;
}

/** `--db`, else $NSNAP_DB, else ./nsnap.db. */
export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.NSNAP_DB && env.NSNAP_DB !== '' ? env.NSNAP_DB : 'nsnap.db';
}

/** Opens (or creates) the database and migrates it to the current schema. */
export function openDatabase(path: string, options: OpenOptions): Database {
  if (options.mustExist && path !== ':memory:' && !existsSync(path)) {
    throw new UsageError(`no database at ${quote(path)}: run \`nsnap ingest DIR\` first, or point --db / NSNAP_DB at one`);
  }
  let db: Database;
  try {
    db = new Sqlite(path);
  } catch (error) {
    throw new DatabaseError(`cannot open database ${quote(path)}: ${(error as Error).message}`);
  }
  try {
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    if (path !== ':memory:') {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    migrate(db, undefined, `database ${quote(path)}`);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof DatabaseError) throw error;
    const code = (error as { code?: string }).code;
    if (code === 'SQLITE_NOTADB') throw new DatabaseError(`${quote(path)} is not an SQLite database`);
    throw new DatabaseError(`cannot use database ${quote(path)}: ${(error as Error).message}`);
  }
}
