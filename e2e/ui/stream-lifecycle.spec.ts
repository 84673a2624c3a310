import { expectNoSeriousA11yViolations } from '../support/a11y.js';
import type { Stream } from '../support/api-client.js';
import { journalSum, walletLeg } from '../support/db.js';
import { formatMinor, parseDisplayed } from '../support/money.js';
import { isResponse } from '../support/network.js';
import { expect, FUNDED_AMOUNT, test } from '../fixtures/index.js';
import { DashboardPage } from '../pages/dashboard-page.js';
import { StreamDetailPage } from '../pages/stream-detail-page.js';

const FUNDED = BigInt(FUNDED_AMOUNT);

test.describe('a running stream', () => {
  // 600.00 over ten minutes (1.00 a second), started 30 s ago: about 30.00 has accrued.
  test.use({ activeStreamOptions: { currency: 'USD', deposit: '60000', durationSeconds: 600, startedSecondsAgo: 30 } });

  test('the recipient sees it accrue over time and withdraws', async ({ activeStream, db }) => {
    const { stream, sender, recipient } = activeStream;
    const { page } = recipient;
    const dashboard = new DashboardPage(page);
    await dashboard.goto();
    const row = dashboard.streamRow(stream.id);
    await expect(row.row).toContainText(sender.user.email);
    await expect(row.status).toHaveText('Active');
    await expect(row.cancel).toBeVisible();

    // Two readings of the live accrued amount: the second must be larger.
    const first = parseDisplayed(await row.accrued.innerText());
    expect(first).toBeGreaterThanOrEqual(3000n); // 30 s at 1.00/s
    expect(first).toBeLessThan(60000n);
    await expect.poll(async () => parseDisplayed(await row.accrued.innerText()), { timeout: 5_000 }).toBeGreaterThan(first);

    await row.detailsLink.click();
    const detail = new StreamDetailPage(page, stream.id);
    await detail.expectLoaded(StreamDetailPage.title(sender.user.email));
    await expect(page).toHaveURL(`/streams/${stream.id}`);
    await expect(detail.field('Your role')).toHaveText('Recipient');
    await expect(detail.field('Deposit')).toHaveText('600.00');
    await expect(detail.status).toHaveText('Active');
    const before = parseDisplayed(await detail.accrued.innerText());
    await expect.poll(async () => parseDisplayed(await detail.accrued.innerText()), { timeout: 5_000 }).toBeGreaterThan(before);
    await expectNoSeriousA11yViolations(page, 'the stream detail page');

    const withdrawn = page.waitForResponse(isResponse('POST', `/api/streams/${stream.id}/withdraw`));
    await detail.withdraw.click();
    const response = await withdrawn;
    expect(response.status()).toBe(200);
    const body = (await response.json()) as { stream: Stream; amount: string };
    const amount = BigInt(body.amount);
    expect(amount).toBeGreaterThan(before);
    expect(amount).toBeLessThan(60000n);
    expect(body.stream).toMatchObject({ id: stream.id, status: 'active', withdrawn: body.amount, withdrawable: '0' });

    await expect(detail.actionStatus).toHaveText(`Withdrew ${formatMinor(amount)} USD.`);
    await expect(detail.field('Withdrawn')).toHaveText(formatMinor(amount));
    await expect(detail.actionAlert).toHaveCount(0);

    // State: one balanced withdrawal journal, escrow to the recipient's wallet.
    const journals = await db.journalsForStream(stream.id);
    expect(journals.map((j) => j.kind)).toEqual(['stream_create', 'stream_withdraw']);
    const withdrawal = journals[1]!;
    expect(journalSum(withdrawal)).toBe(0n);
    expect(walletLeg(withdrawal, recipient.user.id)).toBe(amount);
    expect(withdrawal.entries.find((e) => e.accountKind === 'escrow')?.amount).toBe(-amount);
    const stored = await db.stream(stream.id);
    expect(stored).toMatchObject({ status: 'active', withdrawn: amount });
    expect(await db.walletBalance(recipient.user.id, 'USD')).toBe(amount);
    expect(await db.accountBalance(stored!.escrowAccountId)).toBe(60000n - amount);

    await detail.header.link('Dashboard').click();
    await dashboard.expectLoaded(DashboardPage.title);
    await expect(dashboard.balance('USD')).toHaveText(formatMinor(amount));
  });

  test('the sender cancels: accrued goes to the recipient, the rest back to the sender', async ({ activeStream, db }) => {
    const { stream, sender, recipient } = activeStream;
    const { page } = sender;
    const dashboard = new DashboardPage(page);
    await dashboard.goto();
    await expect(dashboard.balance('USD')).toHaveText(formatMinor(FUNDED - 60000n));
    const row = dashboard.streamRow(stream.id);
    await expect(row.status).toHaveText('Active');
    await expect(row.withdraw).toHaveCount(0);

    const cancelled = page.waitForResponse(isResponse('POST', `/api/streams/${stream.id}/cancel`));
    await row.cancel.click();
    const response = await cancelled;
    expect(response.status()).toBe(200);
    const { stream: closed } = (await response.json()) as { stream: Stream };
    expect(closed).toMatchObject({ id: stream.id, status: 'cancelled', withdrawable: '0' });
    expect(closed.closedAt).not.toBeNull();
    const payout = BigInt(closed.withdrawn); // accrued at the moment of cancelling
    expect(payout).toBeGreaterThanOrEqual(3000n);
    expect(payout).toBeLessThan(60000n);
    const refund = 60000n - payout;

    await expect(dashboard.actionStatus).toHaveText('Stream cancelled.');
    await expect(row.status).toHaveText('Cancelled');
    await expect(row.cancel).toHaveCount(0);
    await expect(row.accrued).toHaveText(formatMinor(payout));
    await expect(dashboard.balance('USD')).toHaveText(formatMinor(FUNDED - payout));

    // The recipient's own view agrees.
    const recipientDashboard = new DashboardPage(recipient.page);
    await recipientDashboard.goto();
    await expect(recipientDashboard.balance('USD')).toHaveText(formatMinor(payout));
    await expect(recipientDashboard.streamRow(stream.id).status).toHaveText('Cancelled');
    await expect(recipientDashboard.streamRow(stream.id).withdraw).toHaveCount(0);

    // State: one balanced cancel journal emptying the escrow into both wallets.
    const journals = await db.journalsForStream(stream.id);
    expect(journals.map((j) => j.kind)).toEqual(['stream_create', 'stream_cancel']);
    const cancel = journals[1]!;
    expect(journalSum(cancel)).toBe(0n);
    expect(walletLeg(cancel, recipient.user.id)).toBe(payout);
    expect(walletLeg(cancel, sender.user.id)).toBe(refund);
    const stored = await db.stream(stream.id);
    expect(stored).toMatchObject({ status: 'cancelled', withdrawn: payout });
    expect(await db.accountBalance(stored!.escrowAccountId)).toBe(0n);
    expect(await db.walletBalance(sender.user.id, 'USD')).toBe(FUNDED - payout);
    expect(await db.walletBalance(recipient.user.id, 'USD')).toBe(payout);
  });

  test("someone else's stream is not found, and nothing about it shows", async ({ activeStream, newSession }) => {
    const outsider = await newSession('outsider');
    const answered = outsider.page.waitForResponse(isResponse('GET', `/api/streams/${activeStream.stream.id}`));
    await outsider.page.goto(`/streams/${activeStream.stream.id}`);
    expect((await answered).status()).toBe(404);
    const detail = new StreamDetailPage(outsider.page, activeStream.stream.id);
    await detail.expectLoaded('Stream not found');
    await expect(outsider.page.getByText('There is no stream with this ID, or it is not yours.')).toBeVisible();
    await expect(outsider.page.getByText(activeStream.sender.user.email)).toHaveCount(0);
    await expect(detail.details).toHaveCount(0);
  });
});

test.describe('a stream past its end', () => {
  // Started 2 minutes ago for 1 minute: fully accrued the moment it is created.
  test.use({ activeStreamOptions: { currency: 'USD', deposit: '60000', durationSeconds: 60, startedSecondsAgo: 120 } });

  test.describe('with the worker down', () => {
    // The API whose worker is not running: nothing settles the stream until someone presses Settle.
    test.use({ target: 'noWorker' });

    test('the sender settles it and the remainder goes to the recipient', async ({ activeStream, db }) => {
      const { stream, sender, recipient } = activeStream;
      const { page } = sender;
      const dashboard = new DashboardPage(page);
      await dashboard.goto();
      const row = dashboard.streamRow(stream.id);
      await expect(row.status).toHaveText('Active (ended)');
      await expect(row.accrued).toHaveText('600.00');
      await expect(row.cancel).toHaveCount(0);
      await expect(row.settle).toBeVisible();

      const settled = page.waitForResponse(isResponse('POST', `/api/streams/${stream.id}/settle`));
      await row.settle.click();
      const response = await settled;
      expect(response.status()).toBe(200);
      const { stream: closed } = (await response.json()) as { stream: Stream };
      expect(closed).toMatchObject({ id: stream.id, status: 'settled', withdrawn: '60000', accrued: '60000', withdrawable: '0' });

      await expect(dashboard.actionStatus).toHaveText('Stream settled.');
      await expect(row.status).toHaveText('Settled');
      await expect(row.settle).toHaveCount(0);
      await expect(row.row.getByRole('button')).toHaveCount(0);
      await expect(dashboard.balance('USD')).toHaveText(formatMinor(FUNDED - 60000n));

      const recipientDetail = new StreamDetailPage(recipient.page, stream.id);
      await recipientDetail.goto(sender.user.email);
      await expect(recipientDetail.status).toHaveText('Settled');
      await expect(recipientDetail.field('Withdrawn')).toHaveText('600.00');
      await expect(recipientDetail.withdraw).toHaveCount(0);

      const journals = await db.journalsForStream(stream.id);
      expect(journals.map((j) => j.kind)).toEqual(['stream_create', 'stream_settle']);
      expect(journalSum(journals[1]!)).toBe(0n);
      expect(walletLeg(journals[1]!, recipient.user.id)).toBe(60000n);
      const stored = await db.stream(stream.id);
      expect(stored).toMatchObject({ status: 'settled', withdrawn: 60000n });
      expect(await db.accountBalance(stored!.escrowAccountId)).toBe(0n);
      expect(await db.walletBalance(recipient.user.id, 'USD')).toBe(60000n);
      expect(await db.walletBalance(sender.user.id, 'USD')).toBe(FUNDED - 60000n);
    });
  });

  test('with the worker running, it settles by itself and the recipient sees it paid', async ({ activeStream, db }) => {
    const { stream, sender, recipient } = activeStream;
    // The worker settles ended streams within about a second.
    await expect.poll(async () => (await db.stream(stream.id))?.status, { timeout: 10_000 }).toBe('settled');
    const journals = await db.journalsForStream(stream.id);
    expect(journals.map((j) => j.kind)).toEqual(['stream_create', 'stream_settle']);
    expect(journalSum(journals[1]!)).toBe(0n);
    expect(walletLeg(journals[1]!, recipient.user.id)).toBe(60000n);

    const { page } = recipient;
    const loaded = page.waitForResponse(isResponse('GET', `/api/streams/${stream.id}`));
    const detail = new StreamDetailPage(page, stream.id);
    await detail.goto(sender.user.email);
    const body = (await (await loaded).json()) as { stream: Stream };
    expect(body.stream).toMatchObject({ status: 'settled', withdrawn: '60000' });
    await expect(detail.status).toHaveText('Settled');
    await expect(detail.field('Withdrawn')).toHaveText('600.00');
    await expect(detail.field('Closed')).not.toHaveText('—');
    await expect(page.getByRole('region', { name: 'Actions', exact: true })).toContainText('None');

    await detail.header.link('Dashboard').click();
    const dashboard = new DashboardPage(page);
    await dashboard.expectLoaded(DashboardPage.title);
    await expect(dashboard.balance('USD')).toHaveText('600.00');
  });
});
