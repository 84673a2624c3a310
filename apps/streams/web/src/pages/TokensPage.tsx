import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { Field } from '../components/Field';
import { FormAlert } from '../components/FormAlert';
import { LoadError } from '../components/LoadError';
import { Page } from '../components/Page';
import { describeError } from '../errors';
import { formatDateTime } from '../format';
import { toServerError, type ServerError } from '../formErrors';
import { useResource } from '../hooks/useResource';
import type { ApiToken } from '../types';

async function fetchTokens() {
  return (await api.tokens()).tokens;
}

function When({ iso, empty }: { iso: string | null; empty: string }) {
  return iso === null ? <span className="muted">{empty}</span> : <time dateTime={iso}>{formatDateTime(iso)}</time>;
}

function NewSecret({ name, secret, onDismiss }: { name: string; secret: string; onDismiss: () => void }) {
  const [copied, setCopied] = useState('');
  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('Copied to the clipboard.');
    } catch {
      setCopied('Could not copy automatically. Select the token and copy it by hand.');
    }
  }
  return (
    <section className="secret-box" aria-labelledby="new-token-heading">
      <h3 id="new-token-heading">Token “{name}” created</h3>
      <p>Copy this token now. It will not be shown again.</p>
      <p>
        <code className="secret" data-testid="token-secret">
          {secret}
        </code>
      </p>
      <div className="actions">
        <button type="button" onClick={() => void copy()}>
          Copy token
        </button>
        <button type="button" className="secondary" onClick={onDismiss}>
          Done
        </button>
      </div>
      <p role="status" className="notice">
        {copied}
      </p>
    </section>
  );
}

function CreateTokenForm({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [serverError, setServerError] = useState<ServerError<'name'> | null>(null);
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (busy) return;
    setServerError(null);
    const trimmed = name.trim();
    if (!trimmed) {
      setError('Enter a name for the token.');
      document.getElementById('token-name')?.focus();
      return;
    }
    setError(undefined);
    setBusy(true);
    try {
      const { token, secret } = await api.createToken(trimmed);
      setCreated({ name: token.name, secret });
      setName('');
      onCreated();
    } catch (err) {
      setServerError(toServerError(err, { labels: { name: 'Token name' }, paths: { name: 'name' } }));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <form className="stack" onSubmit={submit} noValidate aria-labelledby="create-token-heading">
        <FormAlert id="token-alert" error={serverError} />
        <Field
          id="token-name"
          label="Token name"
          hint="Something to recognise it by, for example “CI”."
          error={error}
          alertId={serverError?.fields.includes('name') ? 'token-alert' : undefined}
        >
          {(control) => (
            <input
              {...control}
              type="text"
              name="name"
              autoComplete="off"
              maxLength={100}
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
          )}
        </Field>
        <div>
          <button type="submit" disabled={busy}>
            Create token
          </button>
        </div>
      </form>
      {created && <NewSecret name={created.name} secret={created.secret} onDismiss={() => setCreated(null)} />}
    </>
  );
}

function TokensTable({ tokens, onRevoke, revoking }: { tokens: ApiToken[]; onRevoke: (t: ApiToken) => void; revoking: string | null }) {
  if (tokens.length === 0) return <p className="muted">You have no API tokens.</p>;
  return (
    <div className="table-scroll">
      <table aria-labelledby="tokens-heading">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">Status</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {tokens.map((t) => (
            <tr key={t.id} data-testid={`token-row-${t.id}`}>
              <th scope="row">{t.name}</th>
              <td>
                <When iso={t.createdAt} empty="—" />
              </td>
              <td>
                <When iso={t.lastUsedAt} empty="Never" />
              </td>
              <td>
                {t.revokedAt === null ? (
                  'Active'
                ) : (
                  <>
                    Revoked <When iso={t.revokedAt} empty="" />
                  </>
                )}
              </td>
              <td>
                {t.revokedAt === null ? (
                  <button type="button" className="danger" onClick={() => onRevoke(t)} disabled={revoking === t.id}>
                    Revoke<span className="visually-hidden"> token {t.name}</span>
                  </button>
                ) : (
                  <span className="muted">None</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function TokensPage() {
  const tokens = useResource(fetchTokens);
  const [revoking, setRevoking] = useState<string | null>(null);
  const [notice, setNotice] = useState('');
  const [revokeError, setRevokeError] = useState<string | null>(null);

  async function revoke(token: ApiToken) {
    if (revoking) return;
    setRevoking(token.id);
    setNotice('');
    setRevokeError(null);
    try {
      await api.revokeToken(token.id);
      setNotice(`Token “${token.name}” revoked.`);
    } catch (err) {
      setRevokeError(`Could not revoke “${token.name}”: ${describeError(err)}`);
    } finally {
      setRevoking(null);
      void tokens.reload();
    }
  }

  return (
    <Page title="API tokens">
      <section aria-labelledby="create-token-heading" className="card">
        <h2 id="create-token-heading">Create a token</h2>
        <CreateTokenForm onCreated={() => void tokens.reload()} />
      </section>
      <section aria-labelledby="tokens-heading" className="card">
        <h2 id="tokens-heading">Your tokens</h2>
        <p role="status" className="notice">
          {notice}
        </p>
        {revokeError && (
          <div role="alert" className="alert alert-error">
            <p>{revokeError}</p>
          </div>
        )}
        {tokens.error !== null && <LoadError what="tokens" error={tokens.error} onRetry={() => void tokens.reload()} />}
        {tokens.data ? (
          <TokensTable tokens={tokens.data} onRevoke={(t) => void revoke(t)} revoking={revoking} />
        ) : (
          tokens.loading && <p className="muted">Loading tokens…</p>
        )}
      </section>
    </Page>
  );
}
