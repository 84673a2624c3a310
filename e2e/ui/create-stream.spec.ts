import { expectNoSeriousA11yViolations } from '../support/a11y.js';
import type { Stream } from '../support/api-client.js';
import { journalSum } from '../support/db.js';
import { formatMinor } from '../support/money.js';
import { countRequests, isResponse } from '../support/network.js';
import { expect, FUNDED_AMOUNT, test } from '../fixtures/index.js';
import { DashboardPage } from '../pages/dashboard-page.js';

const isCreateStream = isResponse('POST', '/api/streams');

test('create a stream: validation errors first, then valid input', async ({ fundedUser, newApiUser, db }) => {
  const { page, user: sender } = fundedUser;
  const { user: recipient } = await newApiUser('recipient');
  const dashboard = new DashboardPage(page);
  const form = dashboard.createStream;
  const createRequests = countRequests(page, 'POST', '/api/streams');

  await dashboard.goto();
  await expect(dashboard.balance('USD')).toHaveText(formatMinor(FUNDED_AMOUNT));
  await expect(page.getByText('No streams yet.')).toBeVisible();

  // 1. Empty form: one message per missing field, focus on the first; nothing is sent.
  await form.submit.click();
  await expect(form.fieldError('recipient')).toHaveText('Enter the recipient’s email.');
  await expect(form.fieldError('deposit')).toHaveText('Enter an amount.');
  await expect(form.fieldError('duration')).toHaveText('Enter a duration.');
  await expect(form.recipient).toBeFocused();
  await expect(form.recipient).toHaveAttribute('aria-invalid', 'true');

  // 2. Wrong values: yourself as recipient, too many decimals, a fractional duration.
  await form.fill({ recipient: sender.email, deposit: '12.345', duration: '1.5' });
  await form.submit.click();
  await expect(form.fieldError('recipient')).toHaveText('You cannot stream to yourself.');
  await expect(form.fieldError('deposit')).toHaveText('Use at most 2 decimal places.');
  await expect(form.fieldError('duration')).toHaveText('Enter a whole number, for example 30.');
  await expectNoSeriousA11yViolations(page, 'the dashboard with create-stream validation errors');
  expect(createRequests.count, 'requests sent while the form was invalid').toBe(0);

  // 3. Valid on the client, refused by the server: an unknown recipient.
  await form.fill({ recipient: `nobody-${recipient.email}`, deposit: '250.50', duration: '90' });
  const refused = page.waitForResponse(isCreateStream);
  await form.submit.click();
  const refusal = await refused;
  expect(refusal.status()).toBe(404);
  expect(((await refusal.json()) as { error: { code: string } }).error.code).toBe('recipient_not_found');
  await expect(form.alert).toHaveText('No user has this email');
  await expect(form.recipient).toHaveAttribute('aria-invalid', 'true');
  await expect(form.fieldError('recipient')).toHaveText('');
  expect(await db.streamIdsBetween(sender.id, recipient.id)).toEqual([]);
  expect(await db.walletBalance(sender.id, 'USD')).toBe(BigInt(FUNDED_AMOUNT));

  // 4. Valid input: 250.50 USD over 90 minutes.
  await form.fill({ recipient: recipient.email, currency: 'USD', deposit: '250.50', duration: '90', unit: 'minutes' });
  const created = page.waitForResponse(isCreateStream);
  await form.submit.click();
  const response = await created;
  expect(response.status()).toBe(201);
  expect(response.request().headers()['idempotency-key'], 'the UI sends an Idempotency-Key').toMatch(/^[0-9a-f-]{36}$/);
  const { stream } = (await response.json()) as { stream: Stream };
  expect(stream).toMatchObject({
    role: 'sender',
    sender: { id: sender.id, email: sender.email },
    recipient: { id: recipient.id, email: recipient.email },
    currency: 'USD',
    deposit: '25050',
    withdrawn: '0',
    status: 'active',
    closedAt: null,
  });
  expect(Date.parse(stream.endAt) - Date.parse(stream.startAt)).toBe(90 * 60 * 1000);

  // Visual: the success message, a cleared form, the new row and the lower balance.
  await expect(form.status).toHaveText(`Stream created: 250.50 USD to ${recipient.email}.`);
  await expect(form.alert).toHaveCount(0);
  await expect(form.recipient).toHaveValue('');
  await expect(form.deposit).toHaveValue('');
  await expect(form.duration).toHaveValue('');
  const row = dashboard.streamRow(stream.id);
  await expect(row.row).toContainText(recipient.email);
  await expect(row.status).toHaveText('Active');
  await expect(row.cancel).toBeVisible();
  await expect(row.withdraw).toHaveCount(0); // the sender cannot withdraw
  await expect(dashboard.balance('USD')).toHaveText(formatMinor(BigInt(FUNDED_AMOUNT) - 25050n));
  expect(createRequests.count, 'one request per valid submit').toBe(2);

  // State: one stream, funded by one balanced journal from the sender's wallet into its escrow.
  expect(await db.streamIdsBetween(sender.id, recipient.id)).toEqual([stream.id]);
  const stored = await db.stream(stream.id);
  expect(stored).toMatchObject({ senderId: sender.id, recipientId: recipient.id, deposit: 25050n, withdrawn: 0n, status: 'active' });
  const journals = await db.journalsForStream(stream.id);
  expect(journals.map((j) => j.kind)).toEqual(['stream_create']);
  const [funding] = journals;
  expect(journalSum(funding!)).toBe(0n);
  expect(funding!.entries.map((e) => ({ kind: e.accountKind, user: e.userId, amount: e.amount }))).toEqual(
    expect.arrayContaining([
      { kind: 'wallet', user: sender.id, amount: -25050n },
      { kind: 'escrow', user: null, amount: 25050n },
    ]),
  );
  expect(funding!.entries).toHaveLength(2);
  expect(await db.walletBalance(sender.id, 'USD')).toBe(BigInt(FUNDED_AMOUNT) - 25050n);
  expect(await db.accountBalance(stored!.escrowAccountId)).toBe(25050n);
});
