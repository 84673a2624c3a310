/** Keeps cookies like a browser (the session's, and the router's sticky-release one). */
export class Browserless {
  private readonly jar = new Map<string, string>();
  get cookie(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  constructor(readonly base: string) {}
  async call(method: string, url: string, body?: unknown, extra: Record<string, string> = {}) {
    const res = await fetch(`${this.base}${url}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...extra,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    for (const set of res.headers.getSetCookie()) {
      const [pair] = set.split(';');
      const at = pair!.indexOf('=');
      this.jar.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null, text };
  }
}
