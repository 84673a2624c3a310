import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { Field } from '../components/Field';
import { FormAlert } from '../components/FormAlert';
import { Page } from '../components/Page';
import { toServerError, type ServerError } from '../formErrors';
import { Link } from '../router';
import type { User } from '../types';

type LoginField = 'email' | 'password';
const LABELS: Record<LoginField, string> = { email: 'Email', password: 'Password' };

export function LoginPage({ onAuthenticated }: { onAuthenticated: (user: User) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<Partial<Record<LoginField, string>>>({});
  const [serverError, setServerError] = useState<ServerError<LoginField> | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (busy) return;
    const next: Partial<Record<LoginField, string>> = {};
    if (!email.trim()) next.email = 'Enter your email.';
    if (!password) next.password = 'Enter your password.';
    setErrors(next);
    setServerError(null);
    const first = (Object.keys(next) as LoginField[])[0];
    if (first) {
      document.getElementById(`login-${first}`)?.focus();
      return;
    }
    setBusy(true);
    try {
      const { user } = await api.login(email.trim(), password);
      onAuthenticated(user);
    } catch (err) {
      setServerError(toServerError(err, { labels: LABELS, paths: { email: 'email', password: 'password' } }));
      setBusy(false);
    }
  }

  const alertFor = (f: LoginField) => (serverError?.fields.includes(f) ? 'login-alert' : undefined);

  return (
    <Page title="Log in">
      <form className="card stack" onSubmit={submit} noValidate aria-label="Log in">
        <FormAlert id="login-alert" error={serverError} />
        <Field id="login-email" label={LABELS.email} error={errors.email} alertId={alertFor('email')}>
          {(control) => (
            <input
              {...control}
              type="email"
              name="email"
              autoComplete="username"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          )}
        </Field>
        <Field id="login-password" label={LABELS.password} error={errors.password} alertId={alertFor('password')}>
          {(control) => (
            <input
              {...control}
              type="password"
              name="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </Field>
        <button type="submit" disabled={busy}>
          Log in
        </button>
      </form>
      <p>
        New here? <Link to="/register">Create an account</Link>
      </p>
    </Page>
  );
}
