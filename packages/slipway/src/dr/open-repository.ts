import { FolderRepository, type BackupRepository } from './repository.js';

/** The repository a location names: `s3://bucket/prefix?…` (loaded only then: the AWS SDK is large) or a folder. */
export async function openRepository(location: string): Promise<BackupRepository> {
  if (location.startsWith('s3://')) return new (await import('./s3-repository.js')).S3Repository(location);
  return new FolderRepository(location);
}
