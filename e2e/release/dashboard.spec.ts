// The release dashboard of a real `slipway up` in Chromium, during a real deploy. The stack is this file's own (its
// own temporary state folder, free ports and embedded PostgreSQL), not the streams stack of global-setup.ts. Its
// analysis can never reach its sample (synthetic traffic off, a huge minimum), so the canary pauses for a person.
import { expect, test } from '@playwright/test';
import { startLoad } from '../../test/helpers/load.js';
import { jsonEvents, startSlipwayStack, waitForEvent, type SlipwayStack } from '../../test/helpers/slipway-stack.js';
import { ReleaseDashboardPage } from '../pages/release-dashboard-page.js';
import { expectNoSeriousA11yViolations } from '../support/a11y.js';

test.describe.configure({ mode: 'serial' });

let stack: SlipwayStack;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  stack = await startSlipwayStack({
    strategy: { type: 'canary', steps: [{ weight: 30, hold: '1s' }] },
    analysis: { minRequests: 1_000_000, synthetic: false },
  });
});

test.afterAll(async () => {
  test.setTimeout(60_000);
  await stack?.stop();
});

function onlyOnce<T>(run: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= run());
}

/** A one-time sign-in link from `slipway dashboard`, and the dashboard's own address. */
async function signInLink(): Promise<{ url: string; dashboardUrl: string }> {
  const printed = await stack.slipway(['dashboard', '--json']);
  expect(printed.code, printed.stderr).toBe(0);
  return JSON.parse(printed.stdout) as { url: string; dashboardUrl: string };
}

test('a one-time link signs the browser in; with nothing being released the page says so', async ({ page, context }) => {
  const link = await signInLink();
  await page.goto(link.url);
  await expect(page).toHaveURL(`${link.dashboardUrl}/`);
  const dashboard = new ReleaseDashboardPage(page);
  await dashboard.expectLoaded();
  const [cookie] = await context.cookies(link.dashboardUrl);
  expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

  const stable = (await stack.status()).stable;
  await expect(dashboard.currentRelease).toContainText(`No release in progress. Release ${stable} serves all traffic.`);
  await expect(dashboard.releaseCell(stable, 'role')).toHaveText('Stable');
  await expect(dashboard.releaseCell(stable, 'weight')).toHaveText('100%');
  await expect(dashboard.page.getByRole('button')).toHaveCount(0);
  await expectNoSeriousA11yViolations(page, 'the release dashboard with nothing being released');

  // The link was spent: a second browser gets the sign-in page, not the dashboard.
  const other = await context.browser()!.newPage();
  await other.goto(link.url);
  await expect(other.getByRole('heading', { level: 1 })).toHaveText('Sign in to the release dashboard');
  await other.close();
});

test('during a canary: shows the candidate, its weight and traffic; Promote in the page promotes it', async ({ page }) => {
  test.setTimeout(180_000);
  const link = await signInLink();
  await page.goto(link.url);
  const dashboard = new ReleaseDashboardPage(page);
  await dashboard.expectLoaded();
  const stable = (await stack.status()).stable;

  const load = startLoad(stack.url, { path: '/api/streams', token: stack.smokeToken(), rate: 30 });
  const stopLoad = onlyOnce(load.stop);
  const deploy = stack.spawnSlipway(['deploy', '--json', '--yes']);
  try {
    const release = String((await waitForEvent(deploy, 'deploy-started')).release);
    // The page updates itself: no reloads from here on.
    await expect(dashboard.releaseCell(release, 'role')).toHaveText('Candidate', { timeout: 60_000 });
    await expect(dashboard.releaseCell(release, 'weight')).toHaveText('30%', { timeout: 30_000 });
    await expect(dashboard.releaseCell(stable, 'weight')).toHaveText('40%');
    await expect(dashboard.releaseCell(`${release}.baseline`, 'role')).toHaveText(`Baseline (runs ${stable})`);
    await expect
      .poll(async () => Number(await dashboard.releaseCell(release, 'requests per second').textContent()), { timeout: 20_000 })
      .toBeGreaterThan(0);

    await expect(dashboard.currentRelease).toContainText(`Paused Release ${release}`, { timeout: 60_000 });
    await expect(dashboard.currentRelease).toContainText('inconclusive');
    await expect(dashboard.currentRelease.getByRole('table', { name: /Checks of the latest analysis \(step 1\)/ })).toBeVisible();
    await expect(dashboard.abort(release)).toBeEnabled();
    await expectNoSeriousA11yViolations(page, 'the release dashboard with a paused release');

    await dashboard.promote(release).click();
    await expect(dashboard.actionStatus).toHaveText(`Sent promote to the deploy of ${release}; it acts within a second.`);
    await expect(dashboard.currentRelease).toContainText(`No release in progress. Release ${release} serves all traffic.`, {
      timeout: 60_000,
    });
    await expect(dashboard.stableRelease().getByRole('rowheader')).toHaveText(release);
    await expect(dashboard.releaseCell(release, 'weight')).toHaveText('100%');
    await expect(dashboard.historyRow(release)).toContainText('Promoted');
    expect((await deploy.exited).code, deploy.output).toBe(0);
    expect(jsonEvents(deploy).findLast((e) => e.type === 'decision')).toMatchObject({ action: 'promote', by: 'person' });
    expect((await stack.status()).stable).toBe(release);
    await expectNoSeriousA11yViolations(page, 'the release dashboard after a promotion');

    await dashboard
      .historyRow(release)
      .getByRole('link', { name: `Report for release ${release}` })
      .click();
    await expect(page).toHaveTitle(`Release ${release}`);
    // Users were served throughout.
    expect((await stopLoad()).failed).toEqual([]);
  } finally {
    deploy.kill('SIGTERM');
    await deploy.exited;
    await stopLoad();
  }
});
