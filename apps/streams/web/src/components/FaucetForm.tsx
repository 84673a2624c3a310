import { useState, type FormEvent } from 'react';
import { ApiError, api } from '../api';
import { toServerError, type ServerError } from '../formErrors';
import { formatMoney, parseAmount } from '../money';
import type { Account } from '../types';
import { Field } from './Field';
import { FormAlert } from './FormAlert';
import { CurrencyOptions } from './CurrencyOptions';

type FaucetField = 'currency' | 'amount';
const LABELS: Record<FaucetField, string> = { currency: 'Currency to add', amount: 'Amount to add' };

// Remembered for the rest of the page session once the server says the faucet is off.
let faucetDisabled = false;

export function FaucetForm({ labelledBy, onFunded }: { labelledBy: string; onFunded: (account: Account) => void }) {
  const [disabled, setDisabled] = useState(faucetDisabled);
  const [currency, setCurrency] = useState<string>('USD');
  const [amount, setAmount] = useState('100.00');
  const [amountError, setAmountError] = useState<string | undefined>();
  const [serverError, setServerError] = useState<ServerError<FaucetField> | null>(null);
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);

  if (disabled) {
    return (
      <p role="status" className="muted">
        Test funds are not available on this server.
      </p>
    );
  }

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (busy) return;
    setServerError(null);
    setNotice('');
    const parsed = parseAmount(amount, currency);
    if (!parsed.ok) {
      setAmountError(parsed.error);
      document.getElementById('faucet-amount')?.focus();
      return;
    }
    setAmountError(undefined);
    setBusy(true);
    try {
      const { account } = await api.faucet(currency, parsed.minor);
      setNotice(`Added ${formatMoney(parsed.minor, currency)}.`);
      onFunded(account);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'faucet_disabled') {
        faucetDisabled = true;
        setDisabled(true);
      } else {
        setServerError(toServerError(err, { labels: LABELS, paths: { currency: 'currency', amount: 'amount' } }));
      }
    } finally {
      setBusy(false);
    }
  }

  const alertFor = (f: FaucetField) => (serverError?.fields.includes(f) ? 'faucet-alert' : undefined);

  return (
    <form className="stack" onSubmit={submit} noValidate aria-labelledby={labelledBy}>
      <FormAlert id="faucet-alert" error={serverError} />
      <div className="row">
        <Field id="faucet-currency" label={LABELS.currency} alertId={alertFor('currency')}>
          {(control) => (
            <select {...control} name="currency" value={currency} onChange={(e) => setCurrency(e.target.value)}>
              <CurrencyOptions />
            </select>
          )}
        </Field>
        <Field id="faucet-amount" label={LABELS.amount} error={amountError} alertId={alertFor('amount')}>
          {(control) => (
            <input
              {...control}
              type="text"
              inputMode="decimal"
              name="amount"
              autoComplete="off"
              value={amount}
              onChange={(e) => setAmount(e.target.value)}
            />
          )}
        </Field>
      </div>
      <div>
        <button type="submit" disabled={busy}>
          Get test funds
        </button>
      </div>
      <p role="status" className="notice">
        {notice}
      </p>
    </form>
  );
}
