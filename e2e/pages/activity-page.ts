import type { Locator, Page } from '@playwright/test';
import { AppHeader, AppPage } from './app-page.js';

export class ActivityPage extends AppPage {
  static readonly title = 'Activity';
  readonly header: AppHeader;
  readonly feed: Locator;
  readonly items: Locator;
  readonly loadMore: Locator;

  constructor(page: Page) {
    super(page);
    this.header = new AppHeader(page);
    this.feed = page.getByTestId('activity-feed');
    this.items = this.feed.getByRole('listitem');
    this.loadMore = page.getByRole('button', { name: 'Load more activity' });
  }

  async goto(): Promise<void> {
    await this.page.goto('/activity');
    await this.expectLoaded(ActivityPage.title);
  }

  item(id: string): Locator {
    return this.page.getByTestId(`activity-${id}`);
  }

  /** The totals row of a currency: Currency, Received, Sent, Entries. */
  totals(currency: string): Locator {
    return this.page.getByTestId(`total-${currency}`);
  }
}
