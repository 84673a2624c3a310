/** Writes the generated folders (base, monitoring, secrets) under `root`; answers the files written. */
export function generate(root?: string): string[];
