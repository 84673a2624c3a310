import { expect, type Locator, type Page } from '@playwright/test';

/** What every page of the app has: one h1 naming it, the title "<h1> · streams", and (signed in) the header. */
export abstract class AppPage {
  readonly heading: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { level: 1 });
  }

  /** Waits past the "Loading…" state until this page's h1 and title are shown. */
  async expectLoaded(title: string): Promise<void> {
    await expect(this.heading).toHaveText(title);
    await expect(this.page).toHaveTitle(`${title} · streams`);
  }
}

/** The signed-in header: navigation, the user's email and Log out. */
export class AppHeader {
  readonly nav: Locator;
  readonly userEmail: Locator;
  readonly logOut: Locator;

  constructor(readonly page: Page) {
    this.nav = page.getByRole('navigation', { name: 'Main' });
    this.userEmail = page.getByTestId('user-email');
    this.logOut = page.getByRole('button', { name: 'Log out' });
  }

  link(name: 'Dashboard' | 'Activity' | 'API tokens'): Locator {
    return this.nav.getByRole('link', { name, exact: true });
  }
}
