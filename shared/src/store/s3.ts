import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { LIMITS } from '../schema/limits.js';
import { assertSafeKey } from './keys.js';
import type { StoreOptions } from './open.js';
import { StoreError, assertSafePrefix, type ObjectInfo, type ObjectStore, type PutOptions, type StoredObject } from './store.js';

/** S3's own ceiling for one ListObjectsV2 page. */
const MAX_PAGE = 1000;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED']);
const DENIED_CODES = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'AllAccessDisabled']);

export interface S3StoreSettings {
  bucket: string;
  /** Key prefix inside the bucket, without leading or trailing '/'; '' for the whole bucket. */
  prefix: string;
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  /** Attempts per request made by the SDK itself (its default is 3). */
  maxAttempts?: number;
  /** Objects per listing page, at most 1000 (tests use small pages to exercise pagination). */
  maxKeys?: number;
  /** Largest object `get` accepts. */
  maxObjectBytes?: number;
  /** Limits for connecting, and for a silent socket once connected. */
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
  /** Fixed credentials instead of the AWS chain (tests, embedding). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/**
 * A bucket (and optional prefix) as an object store, for AWS S3 and S3-compatible
 * servers. Keys are relative to the prefix. Credentials come from the standard AWS
 * chain (env, profile, instance role); endpoint and region from the options, else
 * from the AWS environment.
 */
export class S3Store implements ObjectStore {
  readonly url: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly keyPrefix: string;
  private readonly endpoint: string | null;
  private readonly maxKeys: number;
  private readonly maxObjectBytes: number;

  static fromUrl(url: string, options: StoreOptions = {}): S3Store {
    const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(url);
    if (!m) throw new Error(`invalid S3 URL: ${JSON.stringify(url.slice(0, 200))} (expected s3://bucket/prefix)`);
    const settings: S3StoreSettings = { bucket: m[1] ?? '', prefix: (m[2] ?? '').replace(/\/+$/, '') };
    if (options.s3Endpoint !== undefined) settings.endpoint = options.s3Endpoint;
    if (options.s3Region !== undefined) settings.region = options.s3Region;
    if (options.s3ForcePathStyle !== undefined) settings.forcePathStyle = options.s3ForcePathStyle;
    if (options.s3MaxAttempts !== undefined) settings.maxAttempts = options.s3MaxAttempts;
    return new S3Store(settings);
  }

  constructor(settings: S3StoreSettings) {
    const env = process.env;
    if (!BUCKET.test(settings.bucket)) throw new Error(`invalid S3 bucket name: ${JSON.stringify(settings.bucket.slice(0, 100))}`);
    if (settings.prefix !== '') assertSafeKey(settings.prefix);
    const maxKeys = settings.maxKeys ?? MAX_PAGE;
    if (!Number.isInteger(maxKeys) || maxKeys < 1 || maxKeys > MAX_PAGE) throw new Error(`maxKeys must be 1..${MAX_PAGE}, got ${maxKeys}`);
    this.bucket = settings.bucket;
    this.keyPrefix = settings.prefix === '' ? '' : `${settings.prefix}/`;
    this.url = `s3://${this.bucket}${settings.prefix === '' ? '' : `/${settings.prefix}`}`;
    this.maxKeys = maxKeys;
    this.maxObjectBytes = settings.maxObjectBytes ?? LIMITS.storedBytes;
    this.endpoint = settings.endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL ?? null;

    const config: S3ClientConfig = {
      // A dead or hung endpoint must fail a cron run, not hang it; socketTimeout counts idleness, so a slow upload that moves is fine.
      requestHandler: { connectionTimeout: settings.connectTimeoutMs ?? 5_000, socketTimeout: settings.idleTimeoutMs ?? 60_000 },
    };
    if (settings.maxAttempts !== undefined) config.maxAttempts = settings.maxAttempts;
    if (settings.credentials !== undefined) config.credentials = settings.credentials;
    if (this.endpoint !== null) {
      config.endpoint = this.endpoint;
      // S3-compatible servers rarely have a region; the SDK refuses to sign without one.
      config.region = settings.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
      // Custom endpoints (MinIO, s3rver, Ceph) are usually reached by IP or a single host name.
      config.forcePathStyle = settings.forcePathStyle ?? true;
      // The SDK's default (WHEN_SUPPORTED) adds CRC32 checksums, and sends stream bodies in
      // aws-chunked encoding; servers that do not implement that encoding (s3rver does not)
      // store the chunk framing as part of the object, so the bytes read back differ from the
      // bytes written. Checksums only when the operation requires them is what every
      // S3-compatible server understands; the environment can still override it.
      if (env.AWS_REQUEST_CHECKSUM_CALCULATION === undefined) config.requestChecksumCalculation = 'WHEN_REQUIRED';
      if (env.AWS_RESPONSE_CHECKSUM_VALIDATION === undefined) config.responseChecksumValidation = 'WHEN_REQUIRED';
    } else {
      if (settings.region !== undefined) config.region = settings.region;
      if (settings.forcePathStyle !== undefined) config.forcePathStyle = settings.forcePathStyle;
    }
    this.client = new S3Client(config);
  }

  locate(key: string): string {
    return `s3://${this.bucket}/${this.fullKey(key)}`;
  }

  async put(key: string, body: Uint8Array, options: PutOptions): Promise<void> {
    const Key = this.fullKey(key);
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key,
          Body: body,
          ContentLength: body.byteLength,
          ContentType: options.contentType,
          ...(options.contentEncoding ? { ContentEncoding: options.contentEncoding } : {}),
          ...(options.metadata ? { Metadata: options.metadata } : {}),
        }),
      );
    } catch (error) {
      throw this.wrap('put', key, error);
    }
  }

  async get(key: string): Promise<Uint8Array> {
    return (await this.getWithMetadata(key)).body;
  }

  async getWithMetadata(key: string): Promise<StoredObject> {
    const Key = this.fullKey(key);
    let response;
    try {
      response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
    } catch (error) {
      throw this.wrap('get', key, error);
    }
    const body = response.Body as (AsyncIterable<Uint8Array> & { destroy?: () => void }) | undefined;
    if (!body) throw new StoreError(`empty response for ${this.locate(key)}`, key);
    if ((response.ContentLength ?? 0) > this.maxObjectBytes) {
      body.destroy?.();
      throw new StoreError(`${this.locate(key)} is ${response.ContentLength} bytes, over the limit of ${this.maxObjectBytes}`, key);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for await (const chunk of body) {
        size += chunk.byteLength;
        if (size > this.maxObjectBytes) {
          body.destroy?.();
          throw new StoreError(`${this.locate(key)} is over the limit of ${this.maxObjectBytes} bytes`, key);
        }
        chunks.push(chunk);
      }
    } catch (error) {
      if (error instanceof StoreError) throw error;
      throw this.wrap('get', key, error);
    }
    return { body: Buffer.concat(chunks, size), metadata: response.Metadata ?? {} };
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const Key = this.fullKey(key);
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
      return { key, size: r.ContentLength ?? 0, lastModified: r.LastModified ?? null, metadata: r.Metadata ?? {} };
    } catch (error) {
      // A HEAD response has no body, so a missing bucket is a bare 404 too: put and list name it.
      if (statusOf(error) === 404) return null;
      throw this.wrap('head', key, error);
    }
  }

  async delete(key: string): Promise<void> {
    const Key = this.fullKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }));
    } catch (error) {
      throw this.wrap('delete', key, error);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo[]> {
    let token: string | undefined;
    do {
      let r;
      try {
        r = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.keyPrefix + prefix, MaxKeys: this.maxKeys, ...(token ? { ContinuationToken: token } : {}) }),
        );
      } catch (error) {
        throw this.wrap('list', null, error, prefix);
      }
      const page: ObjectInfo[] = [];
      for (const o of r.Contents ?? []) {
        if (o.Key === undefined || !o.Key.startsWith(this.keyPrefix)) continue;
        page.push({ key: o.Key.slice(this.keyPrefix.length), size: o.Size ?? 0, lastModified: o.LastModified ?? null, metadata: {} });
      }
      if (page.length > 0) yield page;
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
      if (r.IsTruncated && !token) throw new StoreError(`listing ${this.url}/${prefix} was truncated without a continuation token`, null);
    } while (token);
  }

  async *listPrefixes(prefix: string): AsyncIterable<string[]> {
    assertSafePrefix(prefix);
    let token: string | undefined;
    do {
      let r;
      try {
        r = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.keyPrefix + prefix,
            Delimiter: '/',
            MaxKeys: this.maxKeys,
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
      } catch (error) {
        throw this.wrap('list', null, error, prefix);
      }
      const page: string[] = [];
      for (const p of r.CommonPrefixes ?? []) {
        if (p.Prefix === undefined || !p.Prefix.startsWith(this.keyPrefix)) continue;
        page.push(p.Prefix.slice(this.keyPrefix.length));
      }
      // MaxKeys counts objects and prefixes together: a page of objects only has no prefixes to give.
      if (page.length > 0) yield page;
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
      if (r.IsTruncated && !token) throw new StoreError(`listing ${this.url}/${prefix} was truncated without a continuation token`, null);
    } while (token);
  }

  private fullKey(key: string): string {
    assertSafeKey(key);
    return this.keyPrefix + key;
  }

  /** One StoreError whose message says what went wrong in the terms a user can act on. */
  private wrap(op: string, key: string | null, error: unknown, listPrefix = ''): StoreError {
    const where = key === null ? `${this.url}/${listPrefix}` : this.locate(key);
    const e = error as { name?: string; message?: string };
    const code = errorCode(error);
    const status = statusOf(error);
    const via = this.endpoint === null ? 'AWS S3' : `S3 endpoint ${this.endpoint}`;
    let message: string;
    if (code !== undefined && NETWORK_CODES.has(code)) message = `cannot reach ${via} (${code}) to ${op} ${where}`;
    else if (e.name === 'TimeoutError' || code === 'RequestTimeout') message = `${via} timed out during ${op} of ${where}`;
    else if (code === 'NoSuchBucket') message = `no such bucket: ${this.bucket} at ${via}`;
    else if (code === 'NoSuchKey') message = `no such object: ${where}`;
    else if ((code !== undefined && DENIED_CODES.has(code)) || status === 403) message = `access denied to ${where} (${code ?? 'HTTP 403'}): check the credentials and the bucket policy`;
    else if (e.name === 'CredentialsProviderError') message = `no AWS credentials for ${where}: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or an instance role (${e.message ?? ''})`;
    else if (/region is missing/i.test(e.message ?? '')) message = `no AWS region for ${where}: pass a region or set AWS_REGION`;
    else message = `S3 ${op} of ${where} failed: ${code ?? e.name ?? 'error'}${status !== undefined ? ` (HTTP ${status})` : ''}: ${(e.message ?? String(error)).slice(0, 300)}`;
    return new StoreError(message, key, error);
  }
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

/** The S3 error code (`NoSuchBucket`) or the Node network error code (`ECONNREFUSED`). */
function errorCode(error: unknown): string | undefined {
  const e = error as { Code?: unknown; code?: unknown; name?: unknown; $fault?: unknown; errors?: Array<{ code?: unknown }> };
  if (typeof e?.Code === 'string') return e.Code;
  if (typeof e?.code === 'string') return e.code;
  // Connecting to 'localhost' tries ::1 and 127.0.0.1; Node reports both refusals as one AggregateError.
  const inner = e?.errors?.find((x) => typeof x?.code === 'string')?.code;
  if (typeof inner === 'string') return inner;
  if (e?.$fault !== undefined && typeof e.name === 'string') return e.name;
  return undefined;
}
