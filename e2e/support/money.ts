// Expected on-screen amounts, computed independently of the UI's own formatting code.

/** 123456n → "1,234.56"; with `signed`, positive amounts get a "+". */
export function formatMinor(minor: bigint | string, opts: { signed?: boolean } = {}): string {
  const value = BigInt(minor);
  const abs = value < 0n ? -value : value;
  const digits = abs.toString().padStart(3, '0');
  const whole = digits.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const sign = value < 0n ? '-' : opts.signed && value > 0n ? '+' : '';
  return `${sign}${whole}.${digits.slice(-2)}`;
}

/** "1,234.56" → 123456n; throws on anything else, so a garbled screen fails the test. */
export function parseDisplayed(text: string): bigint {
  const match = /^\s*(-?)([0-9]{1,3}(?:,[0-9]{3})*)\.([0-9]{2})\s*$/.exec(text);
  if (!match) throw new Error(`not an amount like 1,234.56: ${JSON.stringify(text)}`);
  const minor = BigInt(match[2]!.replace(/,/g, '') + match[3]!);
  return match[1] ? -minor : minor;
}
