export const DEFAULT_TAG: string;
export interface BuiltImage {
  tag: string;
  version: string;
  bytes: number;
  seconds: number;
  bases: { build: string; runtime: string } | 'public';
}
export function imageSize(env: NodeJS.ProcessEnv, tag: string): number;
export function buildImage(options?: {
  env?: NodeJS.ProcessEnv;
  tag?: string;
  target?: string;
  publicBases?: boolean;
  log?: (line: string) => void;
}): Promise<BuiltImage>;
