import type { Locator, Page } from '@playwright/test';
import { AppPage } from './app-page.js';

export class LoginPage extends AppPage {
  static readonly title = 'Log in';
  readonly form: Locator;
  readonly email: Locator;
  readonly password: Locator;
  readonly submit: Locator;
  /** Server errors (one role="alert" per form). */
  readonly alert: Locator;
  readonly registerLink: Locator;

  constructor(page: Page) {
    super(page);
    this.form = page.getByRole('form', { name: 'Log in' });
    this.email = this.form.getByLabel('Email', { exact: true });
    this.password = this.form.getByLabel('Password', { exact: true });
    this.submit = this.form.getByRole('button', { name: 'Log in' });
    this.alert = this.form.getByRole('alert');
    this.registerLink = page.getByRole('link', { name: 'Create an account' });
  }

  async goto(): Promise<void> {
    await this.page.goto('/login');
    await this.expectLoaded(LoginPage.title);
  }

  /** Client-side validation message under a field. */
  fieldError(field: 'email' | 'password'): Locator {
    return this.page.locator(`#login-${field}-error`);
  }

  async logIn(email: string, password: string): Promise<void> {
    await this.email.fill(email);
    await this.password.fill(password);
    await this.submit.click();
  }
}
