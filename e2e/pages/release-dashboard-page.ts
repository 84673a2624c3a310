import { expect, type Locator, type Page } from '@playwright/test';

/** The release dashboard of `slipway up` (packages/slipway/src/local/dashboard), found by roles and names. */
export class ReleaseDashboardPage {
  static readonly title = 'Slipway releases';
  readonly heading: Locator;
  readonly currentRelease: Locator;
  readonly releases: Locator;
  readonly history: Locator;
  /** Where the page says what became of a Promote or Abort. */
  readonly actionStatus: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { level: 1 });
    this.currentRelease = page.getByRole('region', { name: 'Current release' });
    this.releases = page.getByRole('table', { name: /^Releases, their share of traffic/ });
    this.history = page.getByRole('table', { name: /newest first$/ });
    this.actionStatus = page.locator('#action-status');
  }

  async expectLoaded(): Promise<void> {
    await expect(this.heading).toHaveText(ReleaseDashboardPage.title);
    await expect(this.page).toHaveTitle(ReleaseDashboardPage.title);
  }

  /** A running release's row: cells are role, weight, requests per second, error rate, p95, processes ready. */
  release(id: string): Locator {
    return this.releases.getByRole('row').filter({ has: this.page.getByRole('rowheader', { name: id, exact: true }) });
  }

  releaseCell(id: string, column: 'role' | 'weight' | 'requests per second' | 'error rate' | 'p95' | 'processes'): Locator {
    const index = ['role', 'weight', 'requests per second', 'error rate', 'p95', 'processes'].indexOf(column);
    return this.release(id).getByRole('cell').nth(index);
  }

  /** The release serving as stable (its row says so). */
  stableRelease(): Locator {
    return this.releases.getByRole('row').filter({ has: this.page.getByRole('cell', { name: 'Stable', exact: true }) });
  }

  historyRow(id: string): Locator {
    return this.history.getByRole('row').filter({ has: this.page.getByRole('rowheader', { name: id, exact: true }) });
  }

  promote(id: string): Locator {
    return this.page.getByRole('button', { name: `Promote release ${id}` });
  }

  abort(id: string): Locator {
    return this.page.getByRole('button', { name: `Abort release ${id} (roll back)` });
  }
}
