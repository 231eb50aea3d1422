import type {} from '@strata/testing';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { SCREENSHOTS, accessibilityProblems, useBrowser, watchConsole } from './browser.js';

const { gatewayUrl } = inject('stack');

describe('signing up, in and out in a real browser', () => {
  const { browser } = useBrowser();

  it('signs up, keeps the session over a reload, lists devices, signs out, and guards signed-out pages', async () => {
    const context = await browser().newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors = watchConsole(page);
    const email = `browser-${randomUUID()}@example.test`;

    await page.goto(`${gatewayUrl}/`);
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByLabel('Name').fill('Ada Lovelace');
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill('analytical engine 1843');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL('**/files');

    // the refresh cookie restores the session after a reload
    await page.reload();
    await page.getByRole('link', { name: 'Account' }).click();
    await expect.poll(() => page.getByTestId('email').textContent()).toBe(email);
    await expect.poll(() => page.getByTestId('display-name').textContent()).toBe('Ada Lovelace');

    await page.getByRole('link', { name: 'Devices' }).click();
    await page.waitForURL('**/devices');
    await expect.poll(() => page.getByTestId('device').count()).toBe(1);
    expect(await page.getByText('This device').count()).toBe(1);
    await page.screenshot({ path: join(SCREENSHOTS, 'devices.png'), fullPage: true });
    expect(await accessibilityProblems(page)).toEqual([]);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/signin');
    await page.goto(`${gatewayUrl}/devices`);
    await page.waitForURL('**/signin?next=%2Fdevices');

    // a wrong password gets a clear message; the right one comes back to the page asked for
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not right');
    // the failed sign-in is an expected 401 on the network; nothing else may have failed
    errors.splice(0, errors.length, ...errors.filter((e) => !e.includes('401')));
    await page.getByLabel('Password').fill('analytical engine 1843');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/devices');

    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows a phone-width layout without horizontal scrolling', async () => {
    const context = await browser().newContext({ viewport: { width: 375, height: 740 } });
    const page = await context.newPage();
    await page.goto(`${gatewayUrl}/signin`);
    await page.getByLabel('E-mail').waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await context.close();
  });
});
