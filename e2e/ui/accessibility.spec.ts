// axe on every page of the app, in a state where the page shows real content.
import { expectNoSeriousA11yViolations } from '../support/a11y.js';
import { isResponse } from '../support/network.js';
import { expect, test } from '../fixtures/index.js';
import { ActivityPage } from '../pages/activity-page.js';
import { AppPage } from '../pages/app-page.js';
import { DashboardPage } from '../pages/dashboard-page.js';
import { LoginPage } from '../pages/login-page.js';
import { RegisterPage } from '../pages/register-page.js';
import { StreamDetailPage } from '../pages/stream-detail-page.js';
import { TokensPage } from '../pages/tokens-page.js';

class AnyPage extends AppPage {}

test.describe('accessibility: no serious or critical axe violations', () => {
  test('login page', async ({ page }) => {
    const login = new LoginPage(page);
    await login.goto();
    await expect(login.form).toBeVisible();
    await expectNoSeriousA11yViolations(page, 'the login page');
  });

  test('the check itself catches a serious violation on a real page', async ({ page }) => {
    const login = new LoginPage(page);
    await login.goto();
    // A button with no accessible name (axe rule button-name, critical), added to the live page.
    await page.evaluate(() => document.querySelector('main')?.append(document.createElement('button')));
    await expect(expectNoSeriousA11yViolations(page, 'the login page with a nameless button')).rejects.toThrow(/button-name \(critical\)/);
  });

  test('register page', async ({ page }) => {
    const register = new RegisterPage(page);
    await page.goto('/login');
    await new LoginPage(page).registerLink.click();
    await register.expectLoaded(RegisterPage.title);
    await expect(page).toHaveURL('/register');
    await expectNoSeriousA11yViolations(page, 'the register page');
  });

  test('dashboard with balances and streams', async ({ activeStream }) => {
    const { page } = activeStream.sender;
    const dashboard = new DashboardPage(page);
    await dashboard.goto();
    await expect(dashboard.streamRow(activeStream.stream.id).row).toBeVisible();
    await expect(dashboard.balance('USD')).toBeVisible();
    await expectNoSeriousA11yViolations(page, 'the dashboard');
  });

  test('stream detail page', async ({ activeStream }) => {
    const { page } = activeStream.recipient;
    const detail = new StreamDetailPage(page, activeStream.stream.id);
    await detail.goto(activeStream.sender.user.email);
    await expect(detail.details).toBeVisible();
    await expectNoSeriousA11yViolations(page, 'the stream detail page');
  });

  test('activity page', async ({ activeStream, db }) => {
    const { page, user } = activeStream.sender;
    // The indexer adds the faucet and funding entries about a second after they commit.
    await expect.poll(async () => (await db.activityFor(user.id)).length, { timeout: 10_000 }).toBe(2);
    const activity = new ActivityPage(page);
    await activity.goto();
    await expect(activity.items).toHaveCount(2);
    await expectNoSeriousA11yViolations(page, 'the activity page');
  });

  test('tokens page, with a new token shown once', async ({ authenticatedUser, request }) => {
    const { page, user } = authenticatedUser;
    const tokens = new TokensPage(page);
    await tokens.goto();
    await tokens.name.fill('e2e laptop');
    const created = page.waitForResponse(isResponse('POST', '/api/tokens'));
    await tokens.submit.click();
    const response = await created;
    expect(response.status()).toBe(201);
    const { token, secret } = (await response.json()) as { token: { id: string }; secret: string };
    await expect(tokens.secret).toHaveText(secret);
    await expect(tokens.row(token.id)).toContainText('e2e laptop');
    await expectNoSeriousA11yViolations(page, 'the tokens page');

    // The secret shown is a working bearer token for this user.
    const me = await request.get('/api/me', { headers: { authorization: `Bearer ${secret}` } });
    expect(me.status()).toBe(200);
    expect(((await me.json()) as { user: { id: string } }).user.id).toBe(user.id);
  });

  test('not-found page, signed in and signed out', async ({ authenticatedUser, page }) => {
    const signedIn = new AnyPage(authenticatedUser.page);
    await authenticatedUser.page.goto('/no/such/page');
    await signedIn.expectLoaded('Page not found');
    await expect(authenticatedUser.page.getByRole('navigation', { name: 'Main' })).toBeVisible();
    await expectNoSeriousA11yViolations(authenticatedUser.page, 'the not-found page (signed in)');

    const signedOut = new AnyPage(page);
    await page.goto('/no/such/page');
    await signedOut.expectLoaded('Page not found');
    await expect(page.getByRole('link', { name: 'Go to the dashboard' })).toBeVisible();
    await expectNoSeriousA11yViolations(page, 'the not-found page (signed out)');
  });
});
