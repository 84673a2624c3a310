import type { Stream } from '../support/api-client.js';
import { formatMinor } from '../support/money.js';
import { isResponse } from '../support/network.js';
import { expect, test } from '../fixtures/index.js';
import { DashboardPage } from '../pages/dashboard-page.js';

test.describe('dashboard', () => {
  test('Get test funds adds money to the wallet', async ({ authenticatedUser, db }) => {
    const { page, user } = authenticatedUser;
    const dashboard = new DashboardPage(page);
    await dashboard.goto();
    await expect(page.getByText('No balances yet. Get test funds to start.')).toBeVisible();
    await expect(dashboard.faucetAmount).toHaveValue('100.00');

    await dashboard.faucetAmount.fill('0');
    await dashboard.faucetSubmit.click();
    await expect(page.locator('#faucet-amount-error')).toHaveText('Amount must be greater than 0.');

    await dashboard.faucetCurrency.selectOption('GBP');
    await dashboard.faucetAmount.fill('1234.5');
    const funded = page.waitForResponse(isResponse('POST', '/api/faucet'));
    await dashboard.faucetSubmit.click();
    const response = await funded;
    expect(response.status()).toBe(201);
    expect(response.request().postDataJSON()).toEqual({ currency: 'GBP', amount: '123450' });
    await expect(dashboard.faucetStatus).toHaveText('Added 1,234.50 GBP.');
    await expect(page.locator('#faucet-amount-error')).toHaveText('');
    await expect(dashboard.balance('GBP')).toHaveText('1,234.50');

    const journals = await db.journalsForUser(user.id);
    expect(journals.map((j) => j.kind)).toEqual(['faucet']);
    expect(journals[0]!.entries.map((e) => [e.accountKind, e.amount]).sort()).toEqual([
      ['treasury', -123450n],
      ['wallet', 123450n],
    ]);
    expect(await db.walletBalance(user.id, 'GBP')).toBe(123450n);
  });

  test('Show filters by role, and Load more streams pages through them', async ({ fundedUser, newApiUser }) => {
    const { page, api, user } = fundedUser;
    const other = await newApiUser('counterparty');
    await other.api.faucet('USD', '500');
    const sent: Stream[] = [];
    for (let i = 1; i <= 21; i++) {
      sent.push(
        await api.createStream({ recipientEmail: other.user.email, currency: 'USD', deposit: String(i * 100), durationSeconds: 3600 }),
      );
    }
    const received = await other.api.createStream({ recipientEmail: user.email, currency: 'USD', deposit: '500', durationSeconds: 3600 });

    const dashboard = new DashboardPage(page);
    const rows = page.locator('[data-testid^="stream-row-"]');
    const firstPage = page.waitForResponse(isResponse('GET', '/api/streams'));
    await dashboard.goto();
    expect(new URL((await firstPage).url()).searchParams.get('role')).toBe('all');
    await expect(rows).toHaveCount(20);
    // Newest first: the stream this user receives, then the ones it sent, latest first.
    await expect(rows.first()).toHaveAttribute('data-testid', `stream-row-${received.id}`);
    await expect(dashboard.streamRow(received.id).row).toContainText('Recipient');
    await expect(rows.nth(1)).toHaveAttribute('data-testid', `stream-row-${sent[20]!.id}`);
    await page.getByRole('button', { name: 'Load more streams' }).click();
    await expect(rows).toHaveCount(22);
    await expect(rows.last()).toHaveAttribute('data-testid', `stream-row-${sent[0]!.id}`);
    await expect(page.getByRole('button', { name: 'Load more streams' })).toHaveCount(0);

    const receiving = page.waitForResponse(isResponse('GET', '/api/streams'));
    await dashboard.roleFilter.selectOption({ label: 'Receiving' });
    expect(new URL((await receiving).url()).searchParams.get('role')).toBe('recipient');
    await expect(rows).toHaveCount(1);
    await expect(dashboard.streamRow(received.id).row).toContainText(formatMinor(500n));

    await dashboard.roleFilter.selectOption({ label: 'Sending' });
    await expect(rows).toHaveCount(20);
    await expect(dashboard.streamRow(received.id).row).toHaveCount(0);
    await page.getByRole('button', { name: 'Load more streams' }).click();
    await expect(rows).toHaveCount(21);
  });
});
