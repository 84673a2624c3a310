// A small typed client for the streams JSON API, used by fixtures to create state (never the UI).
import type { APIRequestContext, APIResponse } from '@playwright/test';
import type { Account, ActivityItem, CreateStreamInput, Stream, User } from '../../apps/streams/web/src/types.js';

export type Currency = 'USD' | 'EUR' | 'GBP';

// The API's response shapes: the web UI's own (currencies there are plain strings).
export type { Account, ActivityItem, CreateStreamInput, Stream, User };

export const PASSWORD = 'correct-horse-battery-staple';

/** Fails with the method, path, status and body when `response` is not `status`. */
export async function expectStatus(response: APIResponse, status: number, what: string): Promise<void> {
  if (response.status() === status) return;
  const body = await response.text().catch(() => '<no body>');
  throw new Error(`${what}: expected HTTP ${status}, got ${response.status()} ${body}`);
}

export class StreamsApi {
  constructor(readonly request: APIRequestContext) {}

  private async call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, status: number, data?: unknown): Promise<T> {
    const response = await this.request.fetch(path, { method, ...(data === undefined ? {} : { data }) });
    await expectStatus(response, status, `${method} ${path}`);
    return (status === 204 ? undefined : await response.json()) as T;
  }

  async register(email: string, password = PASSWORD): Promise<User> {
    return (await this.call<{ user: User }>('POST', '/api/auth/register', 201, { email, password })).user;
  }

  async login(email: string, password = PASSWORD): Promise<User> {
    return (await this.call<{ user: User }>('POST', '/api/auth/login', 200, { email, password })).user;
  }

  async faucet(currency: Currency, amount: string): Promise<Account> {
    return (await this.call<{ account: Account }>('POST', '/api/faucet', 201, { currency, amount })).account;
  }

  async accounts(): Promise<Account[]> {
    return (await this.call<{ accounts: Account[] }>('GET', '/api/accounts', 200)).accounts;
  }

  async createStream(input: CreateStreamInput): Promise<Stream> {
    return (await this.call<{ stream: Stream }>('POST', '/api/streams', 201, input)).stream;
  }

  async stream(id: string): Promise<Stream> {
    return (await this.call<{ stream: Stream }>('GET', `/api/streams/${id}`, 200)).stream;
  }

  async withdraw(id: string, amount?: string): Promise<{ stream: Stream; amount: string }> {
    return this.call('POST', `/api/streams/${id}/withdraw`, 200, amount === undefined ? {} : { amount });
  }

  async cancel(id: string): Promise<Stream> {
    return (await this.call<{ stream: Stream }>('POST', `/api/streams/${id}/cancel`, 200, {})).stream;
  }

  async activity(): Promise<ActivityItem[]> {
    return (await this.call<{ items: ActivityItem[] }>('GET', '/api/activity?limit=100', 200)).items;
  }

  async createToken(name: string): Promise<{ token: { id: string; name: string }; secret: string }> {
    return this.call('POST', '/api/tokens', 201, { name });
  }
}
