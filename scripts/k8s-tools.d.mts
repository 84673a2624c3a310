export class K8sToolsError extends Error {}
/** Paths of helm and kubectl, unpacking them first when this machine has not yet. */
export function ensureK8sTools(log?: (line: string) => void): { helm: string; kubectl: string };
