import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { MissingFileError, RefusedOverwriteError, type BackupRepository } from './repository.js';
import { sealedChecksum } from './sealed.js';

// A repository in S3-compatible object storage, named by a URL that PostgreSQL's archive and restore commands get too:
//   s3://bucket/prefix?region=eu-west-1&endpoint=http://127.0.0.1:9000&pathStyle=true
// Credentials come the AWS SDK's usual way (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, an instance role).
// Each object carries the checksum of what it holds as metadata, so a second push of a WAL segment is compared
// without downloading it.

const CHECKSUM = 'slipway-sha256';

// The SDK warns on every start that its releases after January 2027 will need Node 22. Slipway runs on Node 20 with
// this SDK pinned; the warning would otherwise repeat in PostgreSQL's log for every archived WAL segment.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export class S3Repository implements BackupRepository {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(readonly location: string) {
    const url = new URL(location);
    if (url.protocol !== 's3:' || !url.hostname) throw new Error(`${location}: not an s3://bucket/prefix URL`);
    this.bucket = url.hostname;
    this.prefix = url.pathname.replace(/^\/+|\/+$/g, '');
    const endpoint = url.searchParams.get('endpoint');
    this.client = new S3Client({
      region: url.searchParams.get('region') ?? process.env.AWS_REGION ?? 'us-east-1',
      ...(endpoint && { endpoint }),
      forcePathStyle: url.searchParams.get('pathStyle') === 'true',
    });
  }

  private objectKey(key: string): string {
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  private async checksumOf(key: string): Promise<string | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return head.Metadata?.[CHECKSUM] ?? '';
    } catch (err) {
      if (err instanceof NotFound || (err as { name?: string }).name === 'NotFound') return null;
      throw err;
    }
  }

  async put(key: string, sealed: Buffer): Promise<'stored' | 'already-there'> {
    const checksum = sealedChecksum(sealed, key);
    const existing = await this.checksumOf(key);
    if (existing !== null) {
      if (existing === checksum) return 'already-there';
      throw new RefusedOverwriteError(`${key} is already in ${this.location} with other contents; it is never overwritten`);
    }
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key), Body: sealed, Metadata: { [CHECKSUM]: checksum } }),
    );
    return 'stored';
  }

  async get(key: string): Promise<Buffer> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return Buffer.from(await object.Body!.transformToByteArray());
    } catch (err) {
      if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey')
        throw new MissingFileError(`${key} is not in ${this.location}`);
      throw err;
    }
  }

  async has(key: string): Promise<boolean> {
    return (await this.checksumOf(key)) !== null;
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    const start = this.objectKey(prefix.replace(/\/*$/, '/'));
    // Paged with StartAfter (the last key seen) rather than continuation tokens: every S3-compatible server has it.
    let after: string | undefined;
    for (;;) {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: start, ...(after && { StartAfter: after }) }),
      );
      const found = (page.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : []));
      keys.push(...found.map((k) => (this.prefix ? k.slice(this.prefix.length + 1) : k)));
      if (!page.IsTruncated || found.length === 0) break;
      after = found.at(-1);
    }
    return keys.sort();
  }

  async remove(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }
}
