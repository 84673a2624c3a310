import type { Locator, Page } from '@playwright/test';
import { AppPage } from './app-page.js';

export class RegisterPage extends AppPage {
  static readonly title = 'Create account';
  readonly form: Locator;
  readonly email: Locator;
  readonly password: Locator;
  readonly confirm: Locator;
  readonly submit: Locator;
  readonly alert: Locator;

  constructor(page: Page) {
    super(page);
    this.form = page.getByRole('form', { name: 'Create account' });
    this.email = this.form.getByLabel('Email', { exact: true });
    this.password = this.form.getByLabel('Password', { exact: true });
    this.confirm = this.form.getByLabel('Confirm password', { exact: true });
    this.submit = this.form.getByRole('button', { name: 'Create account' });
    this.alert = this.form.getByRole('alert');
  }

  async goto(): Promise<void> {
    await this.page.goto('/register');
    await this.expectLoaded(RegisterPage.title);
  }

  fieldError(field: 'email' | 'password' | 'confirm'): Locator {
    return this.page.locator(`#register-${field}-error`);
  }

  async register(email: string, password: string, confirm = password): Promise<void> {
    await this.email.fill(email);
    await this.password.fill(password);
    await this.confirm.fill(confirm);
    await this.submit.click();
  }
}
