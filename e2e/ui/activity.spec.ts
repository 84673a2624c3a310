import { expectNoSeriousA11yViolations } from '../support/a11y.js';
import type { ActivityItem } from '../support/api-client.js';
import { walletLeg, type Db } from '../support/db.js';
import { formatMinor } from '../support/money.js';
import { isResponse } from '../support/network.js';
import { expect, FUNDED_AMOUNT, test } from '../fixtures/index.js';
import { ActivityPage } from '../pages/activity-page.js';
import { StreamDetailPage } from '../pages/stream-detail-page.js';

const LABELS: Record<string, string> = {
  faucet: 'Test funds',
  stream_funded: 'Stream funded',
  stream_withdrawal: 'Stream withdrawal',
  stream_cancel_refund: 'Cancellation refund',
  stream_cancel_payout: 'Cancellation payout',
  stream_settlement: 'Stream settlement',
};

/** What the feed must say for each journal that touched the user's wallet (kind depends on the side). */
async function expectedFeed(db: Db, userId: string) {
  const journals = await db.journalsForUser(userId);
  return journals.map((journal) => ({ journalId: journal.id, kind: journal.kind, amount: walletLeg(journal, userId) }));
}

/** The indexer builds the feed from the ledger about a second after each journal commits. */
async function waitForIndexer(db: Db, userId: string, journals: number) {
  await expect
    .poll(async () => (await db.activityFor(userId)).length, { timeout: 10_000, message: 'the indexer to catch up' })
    .toBe(journals);
}

test.describe('activity feed', () => {
  test.use({ activeStreamOptions: { currency: 'USD', deposit: '60000', durationSeconds: 600, startedSecondsAgo: 45 } });

  test('shows every journal entry on the user’s wallets, newest first, with totals', async ({ activeStream, db }) => {
    const { stream, sender, recipient } = activeStream;
    await recipient.api.withdraw(stream.id, '1234');
    const cancelled = await sender.api.cancel(stream.id);
    const payout = BigInt(cancelled.withdrawn) - 1234n; // what the cancel paid the recipient on top of the withdrawal
    const refund = 60000n - BigInt(cancelled.withdrawn);

    // Ledger: faucet, stream_create, stream_cancel on the sender's wallet.
    const ledger = await expectedFeed(db, sender.user.id);
    expect(ledger.map((e) => [e.kind, e.amount])).toEqual([
      ['faucet', BigInt(FUNDED_AMOUNT)],
      ['stream_create', -60000n],
      ['stream_cancel', refund],
    ]);
    await waitForIndexer(db, sender.user.id, ledger.length);

    const { page } = sender;
    const activity = new ActivityPage(page);
    const loaded = page.waitForResponse(isResponse('GET', '/api/activity'));
    await activity.goto();
    const response = await loaded;
    expect(response.status()).toBe(200);
    const { items } = (await response.json()) as { items: ActivityItem[]; nextCursor: string | null };
    // Newest first, one item per journal, with the ledger's amounts.
    const [faucet, funding, refunded] = ledger;
    expect(
      items.map((i) => ({ journalId: i.journalId, kind: i.kind, amount: i.amount, streamId: i.streamId, currency: i.currency })),
    ).toEqual([
      { journalId: refunded!.journalId, kind: 'stream_cancel_refund', amount: refund.toString(), streamId: stream.id, currency: 'USD' },
      { journalId: funding!.journalId, kind: 'stream_funded', amount: '-60000', streamId: stream.id, currency: 'USD' },
      { journalId: faucet!.journalId, kind: 'faucet', amount: FUNDED_AMOUNT, streamId: null, currency: 'USD' },
    ]);

    await expect(activity.items).toHaveCount(3);
    for (const [index, item] of items.entries()) {
      const entry = activity.item(item.id);
      await expect(activity.items.nth(index)).toHaveAttribute('data-testid', `activity-${item.id}`);
      await expect(entry).toContainText(LABELS[item.kind]!);
      await expect(entry).toContainText(`${formatMinor(item.amount, { signed: true })} USD`);
    }
    await expect(activity.item(items[2]!.id)).toContainText('+1,000.00 USD');
    await expect(activity.item(items[1]!.id)).toContainText('-600.00 USD');

    // Totals: received = faucet + refund, sent = the deposit, three entries.
    const totals = activity.totals('USD').getByRole('cell');
    await expect(totals).toHaveText([formatMinor(BigInt(FUNDED_AMOUNT) + refund), '600.00', '3']);
    await expectNoSeriousA11yViolations(page, 'the activity page');

    // The recipient's feed: the withdrawal and the cancellation payout.
    await waitForIndexer(db, recipient.user.id, 2);
    const recipientActivity = new ActivityPage(recipient.page);
    await recipientActivity.goto();
    await expect(recipientActivity.items).toHaveCount(2);
    await expect(recipientActivity.items.nth(0)).toContainText('Cancellation payout');
    await expect(recipientActivity.items.nth(0)).toContainText(`${formatMinor(payout, { signed: true })} USD`);
    await expect(recipientActivity.items.nth(1)).toContainText('Stream withdrawal');
    await expect(recipientActivity.items.nth(1)).toContainText('+12.34 USD');

    // Each stream entry links to its stream.
    await activity.items
      .nth(0)
      .getByRole('link', { name: /View stream/ })
      .click();
    await new StreamDetailPage(page, stream.id).expectLoaded(StreamDetailPage.title(recipient.user.email));
  });

  test('pages with Load more activity', async ({ authenticatedUser, db }) => {
    const { api, page, user } = authenticatedUser;
    for (let i = 1; i <= 22; i++) await api.faucet('EUR', String(i * 100));
    await waitForIndexer(db, user.id, 22);

    const activity = new ActivityPage(page);
    const firstPage = page.waitForResponse(isResponse('GET', '/api/activity'));
    await activity.goto();
    const first = (await (await firstPage).json()) as { items: ActivityItem[]; nextCursor: string | null };
    expect(first.items).toHaveLength(20);
    expect(first.nextCursor).not.toBeNull();
    await expect(activity.items).toHaveCount(20);
    await expect(activity.items.first()).toContainText('+22.00 EUR');

    const secondPage = page.waitForResponse(isResponse('GET', '/api/activity'));
    await activity.loadMore.click();
    const second = await secondPage;
    expect(new URL(second.url()).searchParams.get('cursor')).toBe(first.nextCursor);
    expect(((await second.json()) as { items: unknown[] }).items).toHaveLength(2);
    await expect(activity.items).toHaveCount(22);
    await expect(activity.items.last()).toContainText('+1.00 EUR');
    await expect(activity.loadMore).toHaveCount(0);
    await expect(activity.totals('EUR').getByRole('cell')).toHaveText(['253.00', '0.00', '22']);
  });
});
