import { formatMinor } from '../money';
import type { Account } from '../types';

export function BalancesTable({ labelledBy, accounts }: { labelledBy: string; accounts: Account[] }) {
  if (accounts.length === 0) return <p className="muted">No balances yet. Get test funds to start.</p>;
  const sorted = [...accounts].sort((a, b) => a.currency.localeCompare(b.currency));
  return (
    <table aria-labelledby={labelledBy} className="compact">
      <thead>
        <tr>
          <th scope="col">Currency</th>
          <th scope="col" className="num">
            Balance
          </th>
        </tr>
      </thead>
      <tbody>
        {sorted.map((a) => (
          <tr key={a.id} data-testid={`balance-${a.currency}`}>
            <th scope="row">{a.currency}</th>
            <td className="num">{formatMinor(a.balance, a.currency)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
