import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Sqlite, { type Database } from 'better-sqlite3';
import { DatabaseError, UsageError, quote } from '../errors.js';
import { migrate } from './migrate.js';
import { MIGRATIONS } from './migrations.js';

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
  /**
   * Open without write access (queries): works on a file or directory the user cannot write. A
   * database that needs a migration is then opened for writing once, to migrate it.
   */
  readonly?: boolean;
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
  if (options.readonly && path !== ':memory:') {
    const db = connect(path, true);
    try {
      if (options.mapped) db.pragma(`mmap_size = ${MMAP_SIZE}`);
      if (!needsMigration(db, path)) return db;
    } catch (error) {
      db.close();
      throw databaseError(path, error, false);
    }
    db.close();
  }
  const db = connect(path, false);
  try {
    db.pragma('foreign_keys = ON');
    // Concurrent ingests take turns at the write lock, one bundle's transaction at a time (a large one
    // takes a second or two): waiting that long is normal, and a wait past this means a stuck writer.
    db.pragma('busy_timeout = 30000');
    if (path !== ':memory:') {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      if (options.mapped) db.pragma(`mmap_size = ${MMAP_SIZE}`);
    }
    migrate(db, undefined, `database ${quote(path)}`);
    if (!options.readonly) probeWrite(db, path);
    return db;
  } catch (error) {
    db.close();
    throw databaseError(path, error, !options.readonly);
  }
}

/**
 * Closes a database opened for writing and, when no other connection has it open, leaves it in
 * rollback-journal mode: a file at rest in WAL mode cannot be read where its `-shm` file cannot be
 * created (a read-only directory), and a rollback-mode one can. While ingests overlap the file stays
 * in WAL mode (readers never wait for the writer); the last one out switches.
 */
export function closeWritable(db: Database): void {
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('journal_mode = DELETE');
  } catch {
    // Another connection has it open: that one, or the next ingest, switches it.
  }
  db.close();
}

// SQLite's largest map (SQLITE_MAX_MMAP_SIZE): a file is mapped from its start, and the latest
// snapshots, which queries read most, are at its end.
const MMAP_SIZE = 2147418112;

function connect(path: string, readonly: boolean): Database {
  try {
    const addon = nativeBinding();
    return new Sqlite(path, { readonly, fileMustExist: readonly, ...(addon !== undefined ? { nativeBinding: addon } : {}) });
  } catch (error) {
    throw new DatabaseError(`cannot open database ${quote(path)}: ${(error as Error).message}`);
  }
}

/** Whether a migration is pending; refuses a database newer than this code (as `migrate` does). */
function needsMigration(db: Database, path: string): boolean {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) migrate(db, undefined, `database ${quote(path)}`);
  return version < MIGRATIONS.length;
}

/**
 * SQLite opens a file it may not write read-only without a word, and BEGIN IMMEDIATE succeeds on it:
 * only a write says so. One that changes nothing, rolled back, before any bundle is read.
 */
function probeWrite(db: Database, path: string): void {
  if (path === ':memory:') return;
  const version = db.pragma('user_version', { simple: true }) as number;
  db.exec('BEGIN IMMEDIATE');
  try {
    db.pragma(`user_version = ${version}`);
  } finally {
    db.exec('ROLLBACK');
  }
}

function databaseError(path: string, error: unknown, writing: boolean): DatabaseError {
  if (error instanceof DatabaseError) return error;
  const e = error as { code?: string; message: string };
  if (e.code === 'SQLITE_NOTADB') return new DatabaseError(`${quote(path)} is not an SQLite database`);
  if (writing && (e.code?.startsWith('SQLITE_READONLY') || e.code === 'SQLITE_PERM')) {
    return new DatabaseError(`database ${quote(path)} is read-only here (${e.message}): ingest needs to write it, and a journal beside it`);
  }
  if (e.code?.startsWith('SQLITE_READONLY') || e.code?.startsWith('SQLITE_CANTOPEN')) {
    return new DatabaseError(
      `cannot read database ${quote(path)} here (${e.message}): it is in WAL mode and no -shm file can be made beside it, ` +
        'or it needs an upgrade; run `nsnap ingest` on it once where it is writable (an ingest leaves it readable from read-only places)',
    );
  }
  return new DatabaseError(`cannot use database ${quote(path)}: ${e.message}`);
}
