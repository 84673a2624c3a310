import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { Field } from '../components/Field';
import { FormAlert } from '../components/FormAlert';
import { Page } from '../components/Page';
import { toServerError, type ServerError } from '../formErrors';
import { Link } from '../router';
import type { User } from '../types';

type RegisterField = 'email' | 'password' | 'confirm';
const LABELS: Record<RegisterField, string> = { email: 'Email', password: 'Password', confirm: 'Confirm password' };
const MIN_PASSWORD = 10;

function validate(email: string, password: string, confirm: string): Partial<Record<RegisterField, string>> {
  const errors: Partial<Record<RegisterField, string>> = {};
  if (!email.trim()) errors.email = 'Enter your email.';
  else if (!/^[^\s@]+@[^\s@]+$/.test(email.trim())) errors.email = 'Enter an email address like name@example.com.';
  if (!password) errors.password = 'Enter a password.';
  else if (password.length < MIN_PASSWORD) errors.password = `Password must be at least ${MIN_PASSWORD} characters.`;
  if (!confirm) errors.confirm = 'Enter the password again.';
  else if (confirm !== password) errors.confirm = 'Passwords do not match.';
  return errors;
}

export function RegisterPage({ onAuthenticated }: { onAuthenticated: (user: User) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [errors, setErrors] = useState<Partial<Record<RegisterField, string>>>({});
  const [serverError, setServerError] = useState<ServerError<RegisterField> | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (busy) return;
    const next = validate(email, password, confirm);
    setErrors(next);
    setServerError(null);
    const first = (Object.keys(next) as RegisterField[])[0];
    if (first) {
      document.getElementById(`register-${first}`)?.focus();
      return;
    }
    setBusy(true);
    try {
      const { user } = await api.register(email.trim(), password);
      onAuthenticated(user);
    } catch (err) {
      setServerError(
        toServerError(err, {
          labels: LABELS,
          paths: { email: 'email', password: 'password' },
          codes: { email_taken: 'email' },
        }),
      );
      setBusy(false);
    }
  }

  const alertFor = (f: RegisterField) => (serverError?.fields.includes(f) ? 'register-alert' : undefined);

  return (
    <Page title="Create account">
      <form className="card stack" onSubmit={submit} noValidate aria-label="Create account">
        <FormAlert id="register-alert" error={serverError} />
        <Field id="register-email" label={LABELS.email} error={errors.email} alertId={alertFor('email')}>
          {(control) => (
            <input {...control} type="email" name="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} />
          )}
        </Field>
        <Field
          id="register-password"
          label={LABELS.password}
          hint={`At least ${MIN_PASSWORD} characters.`}
          error={errors.password}
          alertId={alertFor('password')}
        >
          {(control) => (
            <input
              {...control}
              type="password"
              name="password"
              autoComplete="new-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </Field>
        <Field id="register-confirm" label={LABELS.confirm} error={errors.confirm} alertId={alertFor('confirm')}>
          {(control) => (
            <input
              {...control}
              type="password"
              name="confirm"
              autoComplete="new-password"
              value={confirm}
              onChange={(e) => setConfirm(e.target.value)}
            />
          )}
        </Field>
        <button type="submit" disabled={busy}>
          Create account
        </button>
      </form>
      <p>
        Already have an account? <Link to="/login">Log in</Link>
      </p>
    </Page>
  );
}
