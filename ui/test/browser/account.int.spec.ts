import type {} from '@strata/testing';
import { mailDirOf } from '@strata/testing/harness';
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { SCREENSHOTS, accessibilityProblems, useBrowser, watchConsole } from './browser.js';

const stack = inject('stack');
const { gatewayUrl } = stack;
const PASSWORD = 'analytical engine 1843';
const NEW_PASSWORD = 'difference engine 1822';
const RESET_PASSWORD = 'jacquard loom punched cards';

const resetLinkFor = (email: string) => {
  const dir = mailDirOf(stack.runDir);
  const mail = readdirSync(dir)
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .find((body) => body.includes(`(${email})`));
  return mail ? /href="([^"]+reset-password#token=[^"]+)"/.exec(mail)?.[1] : undefined;
};

describe('the account page in a real browser', () => {
  const { browser } = useBrowser();

  it('changes the name and the password, exports everything with progress and a download, and signs out everywhere', async () => {
    const context = await browser().newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const errors = watchConsole(page);
    const email = `account-${randomUUID()}@example.test`;

    await page.goto(`${gatewayUrl}/signup`);
    await page.getByLabel('Name').fill('Ada');
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL('**/files');
    // a second device of the same account, which the password change must sign out
    const other = await browser().newContext();
    const otherPage = await other.newPage();
    await otherPage.goto(`${gatewayUrl}/signin`);
    await otherPage.getByLabel('E-mail').fill(email);
    await otherPage.getByLabel('Password').fill(PASSWORD);
    await otherPage.getByRole('button', { name: 'Sign in' }).click();
    await otherPage.waitForURL('**/files');

    await page.getByRole('link', { name: 'Account' }).click();
    await page.waitForURL('**/account');
    await page.getByLabel('Name', { exact: true }).fill('Ada Lovelace');
    await page.getByRole('button', { name: 'Save name' }).click();
    await expect.poll(() => page.getByTestId('display-name').textContent()).toBe('Ada Lovelace');

    // a wrong current password is said so, and changes nothing
    await page.getByLabel('Current password').fill('not the password');
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('New password again').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not right');
    errors.splice(0, errors.length, ...errors.filter((e) => !e.includes('403')));
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('status').filter({ hasText: 'Your password is changed' }).waitFor();
    // the other device is out: its next page asks it to sign in
    await otherPage.reload();
    await otherPage.waitForURL('**/signin**');
    await other.close();

    await page.getByRole('button', { name: 'Export everything' }).click();
    await page.getByTestId('export-ready').waitFor({ timeout: 60_000 });
    await page.screenshot({ path: join(SCREENSHOTS, 'account.png'), fullPage: true });
    expect(await accessibilityProblems(page)).toEqual([]);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download export' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^strata-export-\d{4}-\d{2}-\d{2}\.zip$/);
    const path = await download.path();
    // a ZIP: its local file header's signature
    expect(readFileSync(path).subarray(0, 4).toString('hex')).toBe('504b0304');

    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await page.waitForURL('**/signin');
    await page.goto(`${gatewayUrl}/account`);
    await page.waitForURL('**/signin?next=%2Faccount');

    // the new password signs in
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/account');
    expect(errors).toEqual([]);
    await context.close();
  }, 180_000);

  it('resets a forgotten password with the mailed link, in a fresh browser', async () => {
    const email = `reset-${randomUUID()}@example.test`;
    const register = await fetch(`${gatewayUrl}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD, displayName: 'Grace' }),
    });
    expect(register.status).toBe(201);
    const context = await browser().newContext();
    const page = await context.newPage();
    const errors = watchConsole(page);
    await page.goto(`${gatewayUrl}/signin`);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    // the sign-in page has an E-mail field too: fill the new page's, not the one going away
    await page.waitForURL('**/forgot-password');
    await page.getByRole('button', { name: 'Send me a link' }).waitFor();
    await page.getByLabel('E-mail').fill(email);
    await page.getByRole('button', { name: 'Send me a link' }).click();
    // an error would be an alert: wait for either, then say which it was
    const answer = page.getByRole('status').or(page.getByRole('alert'));
    await answer.waitFor();
    expect(await answer.textContent()).toContain('If an account has this address');
    expect(await accessibilityProblems(page)).toEqual([]);

    await expect.poll(() => resetLinkFor(email), { timeout: 10_000 }).toBeDefined();
    const link = resetLinkFor(email)!;
    // the link names the gateway's public origin; this stack's gateway serves it here
    const fresh = await browser().newContext();
    const resetPage = await fresh.newPage();
    await resetPage.goto(`${gatewayUrl}${new URL(link).pathname}${new URL(link).hash}`);
    await resetPage.getByLabel('New password', { exact: true }).fill(RESET_PASSWORD);
    await resetPage.getByLabel('New password again').fill(RESET_PASSWORD);
    await resetPage.getByRole('button', { name: 'Set password' }).click();
    const done = resetPage.getByRole('status').or(resetPage.getByRole('alert'));
    await done.waitFor();
    expect(await done.textContent()).toContain('Your password is set');
    await resetPage.screenshot({ path: join(SCREENSHOTS, 'reset-password.png'), fullPage: true });
    // the token is gone from the address bar
    expect(new URL(resetPage.url()).hash).toBe('');
    await fresh.close();

    await page.goto(`${gatewayUrl}/signin`);
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill(RESET_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/files');
    expect(errors).toEqual([]);
    await context.close();
  }, 180_000);
});
