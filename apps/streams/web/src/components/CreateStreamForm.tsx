import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { observeServerTime } from '../clock';
import { DURATION_UNITS, parseDuration, type DurationUnit } from '../duration';
import { toServerError, type ServerError } from '../formErrors';
import { formatMoney, parseAmount } from '../money';
import type { Stream } from '../types';
import { Field } from './Field';
import { FormAlert } from './FormAlert';
import { CurrencyOptions } from './CurrencyOptions';

type StreamField = 'recipient' | 'currency' | 'deposit' | 'duration' | 'unit';
const LABELS: Record<StreamField, string> = {
  recipient: 'Recipient email',
  currency: 'Currency',
  deposit: 'Deposit amount',
  duration: 'Duration',
  unit: 'Duration unit',
};
const FIELD_ORDER: StreamField[] = ['recipient', 'currency', 'deposit', 'duration', 'unit'];
const ALERT_ID = 'create-stream-alert';

interface Props {
  labelledBy: string;
  userEmail: string;
  onCreated: (stream: Stream) => void;
}

export function CreateStreamForm({ labelledBy, userEmail, onCreated }: Props) {
  const [recipient, setRecipient] = useState('');
  const [currency, setCurrency] = useState<string>('USD');
  const [deposit, setDeposit] = useState('');
  const [duration, setDuration] = useState('');
  const [unit, setUnit] = useState<DurationUnit>('minutes');
  const [errors, setErrors] = useState<Partial<Record<StreamField, string>>>({});
  const [serverError, setServerError] = useState<ServerError<StreamField> | null>(null);
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (busy) return;
    setServerError(null);
    setNotice('');

    const next: Partial<Record<StreamField, string>> = {};
    const email = recipient.trim();
    if (!email) next.recipient = 'Enter the recipient’s email.';
    else if (!/^[^\s@]+@[^\s@]+$/.test(email)) next.recipient = 'Enter an email address like name@example.com.';
    else if (email.toLowerCase() === userEmail.trim().toLowerCase()) next.recipient = 'You cannot stream to yourself.';
    const amount = parseAmount(deposit, currency);
    if (!amount.ok) next.deposit = amount.error;
    const seconds = parseDuration(duration, unit);
    if (!seconds.ok) next.duration = seconds.error;
    setErrors(next);
    const first = FIELD_ORDER.find((f) => next[f]);
    if (first || !amount.ok || !seconds.ok) {
      if (first) document.getElementById(`stream-${first}`)?.focus();
      return;
    }

    setBusy(true);
    try {
      const { stream } = await api.createStream({
        recipientEmail: email,
        currency,
        deposit: amount.minor,
        durationSeconds: seconds.seconds,
      });
      observeServerTime(stream.now);
      setNotice(`Stream created: ${formatMoney(stream.deposit, stream.currency)} to ${stream.recipient.email}.`);
      setRecipient('');
      setDeposit('');
      setDuration('');
      onCreated(stream);
    } catch (err) {
      setServerError(
        toServerError(err, {
          labels: LABELS,
          paths: { recipientEmail: 'recipient', currency: 'currency', deposit: 'deposit', durationSeconds: 'duration' },
          codes: { recipient_not_found: 'recipient', invalid_recipient: 'recipient', insufficient_funds: 'deposit' },
        }),
      );
    } finally {
      setBusy(false);
    }
  }

  const alertFor = (f: StreamField) => (serverError?.fields.includes(f) ? ALERT_ID : undefined);

  return (
    <form className="stack" onSubmit={submit} noValidate aria-labelledby={labelledBy}>
      <FormAlert id={ALERT_ID} error={serverError} />
      <Field id="stream-recipient" label={LABELS.recipient} error={errors.recipient} alertId={alertFor('recipient')}>
        {(control) => (
          <input
            {...control}
            type="email"
            name="recipientEmail"
            autoComplete="off"
            value={recipient}
            onChange={(e) => setRecipient(e.target.value)}
          />
        )}
      </Field>
      <div className="row">
        <Field id="stream-currency" label={LABELS.currency} error={errors.currency} alertId={alertFor('currency')}>
          {(control) => (
            <select {...control} name="currency" value={currency} onChange={(e) => setCurrency(e.target.value)}>
              <CurrencyOptions />
            </select>
          )}
        </Field>
        <Field id="stream-deposit" label={LABELS.deposit} hint="For example 100.00" error={errors.deposit} alertId={alertFor('deposit')}>
          {(control) => (
            <input
              {...control}
              type="text"
              inputMode="decimal"
              name="deposit"
              autoComplete="off"
              value={deposit}
              onChange={(e) => setDeposit(e.target.value)}
            />
          )}
        </Field>
      </div>
      <div className="row">
        <Field id="stream-duration" label={LABELS.duration} error={errors.duration} alertId={alertFor('duration')}>
          {(control) => (
            <input
              {...control}
              type="text"
              inputMode="numeric"
              name="duration"
              autoComplete="off"
              value={duration}
              onChange={(e) => setDuration(e.target.value)}
            />
          )}
        </Field>
        <Field id="stream-unit" label={LABELS.unit} error={errors.unit} alertId={alertFor('unit')}>
          {(control) => (
            <select {...control} name="unit" value={unit} onChange={(e) => setUnit(e.target.value as DurationUnit)}>
              {DURATION_UNITS.map((u) => (
                <option key={u.value} value={u.value}>
                  {u.label}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <div>
        <button type="submit" disabled={busy}>
          Create stream
        </button>
      </div>
      <p role="status" className="notice">
        {notice}
      </p>
    </form>
  );
}
