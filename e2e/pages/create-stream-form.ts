import type { Locator, Page } from '@playwright/test';

export type DurationUnit = 'seconds' | 'minutes' | 'hours' | 'days';
export type CreateStreamField = 'recipient' | 'currency' | 'deposit' | 'duration' | 'unit';

/** The dashboard's "Create stream" form. */
export class CreateStreamForm {
  readonly form: Locator;
  readonly recipient: Locator;
  readonly currency: Locator;
  readonly deposit: Locator;
  readonly duration: Locator;
  readonly unit: Locator;
  readonly submit: Locator;
  /** Server errors. */
  readonly alert: Locator;
  /** Success message ("Stream created: …"). */
  readonly status: Locator;

  constructor(readonly page: Page) {
    this.form = page.getByRole('form', { name: 'Create stream' });
    this.recipient = this.form.getByLabel('Recipient email', { exact: true });
    this.currency = this.form.getByLabel('Currency', { exact: true });
    this.deposit = this.form.getByLabel('Deposit amount', { exact: true });
    this.duration = this.form.getByLabel('Duration', { exact: true });
    this.unit = this.form.getByLabel('Duration unit', { exact: true });
    this.submit = this.form.getByRole('button', { name: 'Create stream' });
    this.alert = this.form.getByRole('alert');
    this.status = this.form.getByRole('status');
  }

  /** Client-side validation message under a field (a polite live region). */
  fieldError(field: CreateStreamField): Locator {
    return this.page.locator(`#stream-${field}-error`);
  }

  async fill(input: { recipient: string; currency?: string; deposit: string; duration: string; unit?: DurationUnit }): Promise<void> {
    await this.recipient.fill(input.recipient);
    if (input.currency) await this.currency.selectOption(input.currency);
    await this.deposit.fill(input.deposit);
    await this.duration.fill(input.duration);
    if (input.unit) await this.unit.selectOption(input.unit);
  }
}
