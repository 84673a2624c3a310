import { CURRENCIES } from '../money';

/** The `<option>`s of a currency `<select>`. */
export function CurrencyOptions() {
  return (
    <>
      {CURRENCIES.map((c) => (
        <option key={c} value={c}>
          {c}
        </option>
      ))}
    </>
  );
}
