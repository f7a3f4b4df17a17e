import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';

/** The keys s3rver accepts; it checks signatures, so a wrong secret gets a real 403. */
export const S3RVER_CREDENTIALS: { accessKeyId: string; secretAccessKey: string } = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** Environment for a child process (a CLI) that should reach the test server through the standard AWS chain. */
export const S3RVER_ENV = {
  AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
  AWS_REGION: 'us-east-1',
} as const;

// Runs in the child: s3rver is CommonJS, and `node -e` evaluates CommonJS.
const CHILD = `
const [main, port, directory, buckets] = process.argv.slice(1);
const S3rver = require(main);
new S3rver({ address: '127.0.0.1', port: Number(port), directory, silent: true,
  configureBuckets: JSON.parse(buckets).map((name) => ({ name, configs: [] })) })
  .run()
  .then((a) => process.stdout.write(JSON.stringify({ port: a.port }) + '\\n'),
        (e) => { process.stderr.write(String(e && e.stack || e) + '\\n'); process.exit(1); });
`;

export interface S3rverHandle {
  /** `http://127.0.0.1:PORT`; the port stays the same across stop() and start(). */
  readonly endpoint: string;
  readonly port: number;
  readonly bucket: string;
  /** Where s3rver keeps buckets and objects. */
  readonly directory: string;
  /** Stops the server (the process is killed, so clients see a refused connection). */
  stop(): Promise<void>;
  /** Starts it again on the same port and directory; the objects are still there. */
  start(): Promise<void>;
  /** Stops the server and deletes its directory. */
  dispose(): Promise<void>;
}

/**
 * A real s3rver 3.7.1 in a child process on 127.0.0.1 with a free port and a temp
 * directory, with `bucket` (and any `extraBuckets`) created. A child process rather
 * than in-process so stop() is a real outage, and because s3rver's continuation tokens
 * use DES, which Node 20 only offers with --openssl-legacy-provider.
 */
export async function startS3rver(options: { bucket?: string; extraBuckets?: string[] } = {}): Promise<S3rverHandle> {
  const bucket = options.bucket ?? 'nsnap-test';
  const buckets = JSON.stringify([bucket, ...(options.extraBuckets ?? [])]);
  const main = createRequire(import.meta.url).resolve('s3rver');
  const directory = await mkdtemp(path.join(os.tmpdir(), 'nsnap-s3rver-'));
  let child: ResultPromise | null = null;

  const launch = async (port: number): Promise<number> => {
    const proc = execa(process.execPath, ['--openssl-legacy-provider', '-e', CHILD, main, String(port), directory, buckets], {
      reject: false,
      buffer: false,
      stdin: 'ignore',
      stderr: 'pipe',
    });
    child = proc;
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      proc.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const nl = out.indexOf('\n');
        if (nl >= 0) resolve(out.slice(0, nl));
      });
      void proc.then((r) => reject(new Error(`s3rver exited (${r.exitCode ?? r.signal}) before listening: ${stderr.slice(0, 2000)}`)));
    });
    return (JSON.parse(line) as { port: number }).port;
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = null;
    if (!proc) return;
    proc.kill('SIGKILL');
    await proc;
  };

  let port: number;
  try {
    port = await launch(0);
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    bucket,
    directory,
    stop,
    async start() {
      if (child) throw new Error('s3rver is already running');
      await launch(port);
    },
    async dispose() {
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
