import type { Locator, Page } from '@playwright/test';
import { AppHeader, AppPage } from './app-page.js';

export class TokensPage extends AppPage {
  static readonly title = 'API tokens';
  readonly header: AppHeader;
  readonly form: Locator;
  readonly name: Locator;
  readonly submit: Locator;
  readonly secret: Locator;

  constructor(page: Page) {
    super(page);
    this.header = new AppHeader(page);
    this.form = page.getByRole('form', { name: 'Create a token' });
    this.name = this.form.getByLabel('Token name');
    this.submit = this.form.getByRole('button', { name: 'Create token' });
    this.secret = page.getByTestId('token-secret');
  }

  async goto(): Promise<void> {
    await this.page.goto('/tokens');
    await this.expectLoaded(TokensPage.title);
  }

  row(id: string): Locator {
    return this.page.getByTestId(`token-row-${id}`);
  }
}
