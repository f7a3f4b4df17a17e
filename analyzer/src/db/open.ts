import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Sqlite, { type Database } from 'better-sqlite3';
import { DatabaseError, UsageError, quote } from '../errors.js';
import { migrate } from './migrate.js';

export interface OpenOptions {
  /** Queries need an existing database; ingest creates it. */
  mustExist: boolean;
  /**
   * Read pages through a memory map rather than a read() each: a one-shot query reads hundreds of
   * pages into an empty cache (`diff` of 400 namespaces: 4 ms less of ~40). The price SQLite
   * documents: an I/O error, or the file truncated by another process, is a crash (SIGBUS) rather
   * than an error. Queries only; ingest writes as before.
   */
  mapped?: boolean;
}

/** `--db`, else $NSNAP_DB, else ./nsnap.db. */
export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.NSNAP_DB && env.NSNAP_DB !== '' ? env.NSNAP_DB : 'nsnap.db';
}

/**
 * better-sqlite3's compiled addon, named directly. Left to itself, better-sqlite3 finds it with the
 * `bindings` package, which guesses paths relative to the calling file: wrong for the bundled CLI
 * (dist/nsnap-cli.cjs, analyzer/build.mjs). Where node-gyp and prebuild-install put it, in the
 * node_modules directories above this file as Node looks for packages, without require.resolve's
 * package.json reads and symlink resolution (1 ms at every start); not found, better-sqlite3 looks.
 */
function nativeBinding(): string | undefined {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const addon = join(dir, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');
    if (existsSync(addon)) return addon;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Opens (or creates) the database and migrates it to the current schema. */
export function openDatabase(path: string, options: OpenOptions): Database {
  if (options.mustExist && path !== ':memory:' && !existsSync(path)) {
    throw new UsageError(`no database at ${quote(path)}: run \`nsnap ingest DIR\` first, or point --db / NSNAP_DB at one`);
  }
  let db: Database;
  try {
    const addon = nativeBinding();
    db = new Sqlite(path, addon !== undefined ? { nativeBinding: addon } : {});
  } catch (error) {
    throw new DatabaseError(`cannot open database ${quote(path)}: ${(error as Error).message}`);
  }
  try {
    db.pragma('foreign_keys = ON');
    // Concurrent ingests take turns at the write lock, one bundle's transaction at a time (a large one
    // takes a second or two): waiting that long is normal, and a wait past this means a stuck writer.
    db.pragma('busy_timeout = 30000');
    if (path !== ':memory:') {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      // SQLite's largest map (SQLITE_MAX_MMAP_SIZE): a file is mapped from its start, and the latest
      // snapshots, which queries read most, are at its end.
      if (options.mapped) db.pragma('mmap_size = 2147418112');
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
