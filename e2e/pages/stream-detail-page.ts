import type { Locator, Page } from '@playwright/test';
import { AppHeader, AppPage } from './app-page.js';

export class StreamDetailPage extends AppPage {
  readonly header: AppHeader;
  readonly details: Locator;
  readonly accrued: Locator;
  readonly withdrawable: Locator;
  readonly status: Locator;
  readonly withdraw: Locator;
  readonly cancel: Locator;
  readonly settle: Locator;
  readonly actionStatus: Locator;
  readonly actionAlert: Locator;

  constructor(
    page: Page,
    readonly id: string,
  ) {
    super(page);
    this.header = new AppHeader(page);
    this.details = page.getByTestId(`stream-detail-${id}`);
    this.accrued = page.getByTestId(`accrued-${id}`);
    this.withdrawable = page.getByTestId(`withdrawable-${id}`);
    this.status = page.getByTestId(`status-${id}`);
    const actions = page.getByRole('region', { name: 'Actions', exact: true });
    this.withdraw = actions.getByRole('button', { name: 'Withdraw' });
    this.cancel = actions.getByRole('button', { name: 'Cancel' });
    this.settle = actions.getByRole('button', { name: 'Settle' });
    this.actionStatus = actions.getByRole('status');
    this.actionAlert = actions.getByRole('alert');
  }

  static title(counterpartyEmail: string): string {
    return `Stream with ${counterpartyEmail}`;
  }

  async goto(counterpartyEmail: string): Promise<void> {
    await this.page.goto(`/streams/${this.id}`);
    await this.expectLoaded(StreamDetailPage.title(counterpartyEmail));
  }

  /** The value of one row of the details list, e.g. field("Withdrawn"). */
  field(term: string): Locator {
    return this.details
      .locator('.dl-row')
      .filter({ has: this.page.locator('dt', { hasText: new RegExp(`^${term}$`) }) })
      .locator('dd');
  }
}
