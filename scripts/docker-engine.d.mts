/** Debian's docker client when installed, else `docker` on PATH. */
export function dockerClient(): string;
export const DOCKER_COMPOSE: string;
export class DockerEngineError extends Error {}
export function ensureDockerInstalled(): void;
export interface DockerEngine {
  socket: string;
  host: string;
  env: NodeJS.ProcessEnv;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}
export function startDockerEngine(options?: { dataRoot?: string; log?: (line: string) => void }): Promise<DockerEngine>;
