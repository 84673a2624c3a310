import { expectNoSeriousA11yViolations } from '../support/a11y.js';
import { PASSWORD } from '../support/api-client.js';
import { countRequests, isResponse } from '../support/network.js';
import { uniqueEmail } from '../support/unique.js';
import { expect, test } from '../fixtures/index.js';
import { DashboardPage } from '../pages/dashboard-page.js';
import { LoginPage } from '../pages/login-page.js';
import { RegisterPage } from '../pages/register-page.js';

const isPost = (path: string) => isResponse('POST', path);

test.describe('accounts', () => {
  test('register a new account, log out, and log in again', async ({ page, db }) => {
    const email = uniqueEmail('register');
    const register = new RegisterPage(page);
    await register.goto();
    await expectNoSeriousA11yViolations(page, 'the register page');

    // Client-side validation first: nothing is sent while the form is wrong.
    await register.register('not-an-email', 'short', 'different');
    await expect(register.fieldError('email')).toHaveText('Enter an email address like name@example.com.');
    await expect(register.fieldError('password')).toHaveText('Password must be at least 10 characters.');
    await expect(register.fieldError('confirm')).toHaveText('Passwords do not match.');
    await expect(register.email).toBeFocused();
    await expect(register.email).toHaveAttribute('aria-invalid', 'true');
    await expectNoSeriousA11yViolations(page, 'the register page with validation errors');
    expect(await db.userByEmail('not-an-email')).toBeUndefined();

    const registered = page.waitForResponse(isPost('/api/auth/register'));
    await register.register(email, PASSWORD);
    const response = await registered;
    expect(response.status()).toBe(201);
    const body = (await response.json()) as { user: { id: string; email: string; synthetic: boolean } };
    expect(body.user).toMatchObject({ email, synthetic: false });

    const dashboard = new DashboardPage(page);
    await dashboard.expectLoaded(DashboardPage.title);
    await expect(page).toHaveURL('/');
    await expect(dashboard.header.userEmail).toHaveText(email);
    await expect(page.getByText('No balances yet. Get test funds to start.')).toBeVisible();
    await expect(page.getByText('No streams yet.')).toBeVisible();

    // State: exactly this user exists, as a real (not synthetic) user, with the id the API returned.
    expect(await db.userByEmail(email)).toEqual({ id: body.user.id, email, synthetic: false });

    await dashboard.header.logOut.click();
    const login = new LoginPage(page);
    await login.expectLoaded(LoginPage.title);

    const loggedIn = page.waitForResponse(isPost('/api/auth/login'));
    await login.logIn(email, PASSWORD);
    const loginResponse = await loggedIn;
    expect(loginResponse.status()).toBe(200);
    expect(((await loginResponse.json()) as { user: { id: string } }).user.id).toBe(body.user.id);
    await dashboard.expectLoaded(DashboardPage.title);
    await expect(dashboard.header.userEmail).toHaveText(email);
  });

  test('wrong password or unknown email shows "Email or password is wrong"', async ({ page, newApiUser }) => {
    const { user } = await newApiUser('badlogin');
    const login = new LoginPage(page);
    await login.goto();

    // Empty form: client-side messages, focus on the first field, and no request at all.
    const loginRequests = countRequests(page, 'POST', '/api/auth/login');
    await login.submit.click();
    await expect(login.fieldError('email')).toHaveText('Enter your email.');
    await expect(login.fieldError('password')).toHaveText('Enter your password.');
    await expect(login.email).toBeFocused();
    expect(loginRequests.count).toBe(0);

    for (const [email, password] of [
      [user.email, 'wrong-password-123'],
      [uniqueEmail('nobody'), PASSWORD],
    ] as const) {
      const answered = page.waitForResponse(isPost('/api/auth/login'));
      await login.logIn(email, password);
      const response = await answered;
      expect(response.status()).toBe(401);
      expect(await response.json()).toEqual({ error: { code: 'invalid_credentials', message: 'email or password is wrong' } });
      await expect(login.alert).toHaveText('Email or password is wrong');
      await login.expectLoaded(LoginPage.title);
      await expect(page).toHaveURL('/login');
    }
    expect(loginRequests.count).toBe(2);
    await expectNoSeriousA11yViolations(page, 'the login page with a server error');
  });

  test('log out ends the session on the server, not just in the browser', async ({ authenticatedUser, request }) => {
    const { page, context, user } = authenticatedUser;
    const dashboard = new DashboardPage(page);
    await dashboard.goto();
    await expect(dashboard.header.userEmail).toHaveText(user.email);
    const cookie = (await context.cookies()).find((c) => c.name === 'streams_session');
    expect(cookie?.value).toBeTruthy();

    const loggedOut = page.waitForResponse(isPost('/api/auth/logout'));
    await dashboard.header.logOut.click();
    expect((await loggedOut).status()).toBe(204);
    const login = new LoginPage(page);
    await login.expectLoaded(LoginPage.title);
    await expect(page).toHaveURL('/login');
    await expect(dashboard.header.userEmail).toHaveCount(0);
    expect((await context.cookies()).find((c) => c.name === 'streams_session')).toBeUndefined();

    // The old cookie is dead on the server too.
    const me = await request.get('/api/me', { headers: { cookie: `streams_session=${cookie!.value}` } });
    expect(me.status()).toBe(401);
    expect(((await me.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');

    // And signed-in pages send the browser back to the login page.
    await page.goto('/activity');
    await login.expectLoaded(LoginPage.title);
    await expect(page).toHaveURL('/login');
  });
});
