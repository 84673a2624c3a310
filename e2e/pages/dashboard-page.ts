import type { Locator, Page } from '@playwright/test';
import { AppHeader, AppPage } from './app-page.js';
import { CreateStreamForm } from './create-stream-form.js';

/** One stream in the dashboard's table; buttons are scoped to the row. */
export class StreamRow {
  readonly row: Locator;
  readonly accrued: Locator;
  readonly withdrawable: Locator;
  readonly status: Locator;
  readonly withdraw: Locator;
  readonly cancel: Locator;
  readonly settle: Locator;
  readonly detailsLink: Locator;

  constructor(
    page: Page,
    readonly id: string,
  ) {
    this.row = page.getByTestId(`stream-row-${id}`);
    this.accrued = this.row.getByTestId(`accrued-${id}`);
    this.withdrawable = this.row.getByTestId(`withdrawable-${id}`);
    this.status = this.row.getByTestId(`status-${id}`);
    this.withdraw = this.row.getByRole('button', { name: 'Withdraw' });
    this.cancel = this.row.getByRole('button', { name: 'Cancel' });
    this.settle = this.row.getByRole('button', { name: 'Settle' });
    this.detailsLink = this.row.getByRole('link');
  }
}

export class DashboardPage extends AppPage {
  static readonly title = 'Dashboard';
  readonly header: AppHeader;
  readonly createStream: CreateStreamForm;
  readonly faucetForm: Locator;
  readonly faucetCurrency: Locator;
  readonly faucetAmount: Locator;
  readonly faucetSubmit: Locator;
  readonly faucetStatus: Locator;
  readonly roleFilter: Locator;
  /** Messages from stream actions (Withdraw, Cancel, Settle) in the streams section. */
  readonly actionStatus: Locator;
  readonly actionAlert: Locator;

  constructor(page: Page) {
    super(page);
    this.header = new AppHeader(page);
    this.createStream = new CreateStreamForm(page);
    this.faucetForm = page.getByRole('form', { name: 'Get test funds' });
    this.faucetCurrency = this.faucetForm.getByLabel('Currency to add');
    this.faucetAmount = this.faucetForm.getByLabel('Amount to add');
    this.faucetSubmit = this.faucetForm.getByRole('button', { name: 'Get test funds' });
    this.faucetStatus = this.faucetForm.getByRole('status');
    this.roleFilter = page.getByLabel('Show', { exact: true });
    const streams = page.getByRole('region', { name: 'Streams', exact: true });
    this.actionStatus = streams.getByRole('status');
    this.actionAlert = streams.getByRole('alert');
  }

  async goto(): Promise<void> {
    await this.page.goto('/');
    await this.expectLoaded(DashboardPage.title);
  }

  /** The balance cell of a currency, e.g. "1,000.00". */
  balance(currency: string): Locator {
    return this.page.getByTestId(`balance-${currency}`).getByRole('cell');
  }

  streamRow(id: string): StreamRow {
    return new StreamRow(this.page, id);
  }
}
