import type {} from '@strata/testing';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, inject, it } from 'vitest';
import { SCREENSHOTS, accessibilityProblems, useBrowser, watchConsole } from './browser.js';

const { gatewayUrl } = inject('stack');
const PASSWORD = 'sharing through strata';

async function signUp(page: Page, email: string) {
  await page.goto(`${gatewayUrl}/signup`);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL('**/files');
}


describe('sharing in a real browser (issue 16)', () => {
  const { browser } = useBrowser();

  it('shares a folder with a second user in another browser context, and opens a password link in a fresh context without an account', { timeout: 180_000 }, async () => {
    const aContext = await browser().newContext({ viewport: { width: 1280, height: 900 } });
    const bContext = await browser().newContext({ viewport: { width: 1280, height: 900 } });
    const a = await aContext.newPage();
    const b = await bContext.newPage();
    const aErrors = watchConsole(a);
    const bErrors = watchConsole(b);
    const aEmail = `sharer-${randomUUID()}@example.test`;
    const bEmail = `recipient-${randomUUID()}@example.test`;
    await signUp(a, aEmail);
    await signUp(b, bEmail);

    // A makes a folder with a file in it
    await a.getByTestId('new-folder').click();
    await a.getByLabel('Folder name').fill('Team');
    await a.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => a.getByTestId('folder-name').allTextContents(), { timeout: 30_000 }).toContain('Team');
    await a.getByRole('link', { name: 'Team', exact: true }).click();
    await a.waitForURL('**/files?folder=*');
    await a.getByTestId('file-input').setInputFiles([{ name: 'plan.txt', mimeType: 'text/plain', buffer: Buffer.from('the team plan\n') }]);
    await expect.poll(() => a.getByTestId('file-name').allTextContents(), { timeout: 30_000 }).toEqual(['plan.txt']);
    await a.goto(`${gatewayUrl}/files`);

    // A shares it with B as an editor
    await a.getByRole('button', { name: 'Share Team' }).click();
    const dialog = a.getByTestId('share-dialog');
    await dialog.getByTestId('share-email').fill(bEmail);
    await dialog.getByTestId('share-role').selectOption('editor');
    await dialog.getByTestId('share-add').click();
    await expect.poll(() => dialog.getByTestId('share-list').textContent(), { timeout: 15_000 }).toContain(bEmail);
    // an e-mail that is no account is said so, plainly
    await dialog.getByTestId('share-email').fill(`nobody-${randomUUID()}@example.test`);
    await dialog.getByTestId('share-add').click();
    await expect.poll(() => dialog.getByRole('alert').textContent(), { timeout: 15_000 }).toContain('No account');

    // and makes a link with a password
    await dialog.getByTestId('link-password').fill('team link password');
    await dialog.getByTestId('link-create').click();
    const url = await (async () => {
      await expect.poll(() => dialog.getByTestId('link-url').count(), { timeout: 15_000 }).toBe(1);
      return dialog.getByTestId('link-url').inputValue();
    })();
    expect(url).toMatch(/\/l\/[A-Za-z0-9_-]{43}$/);
    expect(await accessibilityProblems(a)).toEqual([]);
    await a.screenshot({ path: join(SCREENSHOTS, 'share-dialog.png'), fullPage: true });
    await dialog.getByRole('button', { name: 'Close' }).click();

    // B, in another browser context, finds it under Shared with me and opens it
    await b.goto(`${gatewayUrl}/shared`);
    const shared = b.getByTestId('shared-list');
    await expect.poll(() => shared.textContent(), { timeout: 15_000 }).toContain('Team');
    expect(await shared.textContent()).toContain('can edit');
    expect(await accessibilityProblems(b)).toEqual([]);
    await b.screenshot({ path: join(SCREENSHOTS, 'shared-with-me.png'), fullPage: true });
    await shared.getByRole('link', { name: 'Team' }).click();
    await b.waitForURL('**/files?folder=*');
    await expect.poll(() => b.getByTestId('file-name').allTextContents(), { timeout: 15_000 }).toEqual(['plan.txt']);

    // a fresh context without an account opens the link: password first, then the folder and its ZIP
    const cContext = await browser().newContext({ viewport: { width: 1024, height: 768 } });
    const c = await cContext.newPage();
    const cErrors = watchConsole(c);
    await c.goto(url.replace(/^https?:\/\/[^/]+/, gatewayUrl));
    await c.getByTestId('link-password-input').fill('wrong password');
    await c.getByRole('button', { name: 'Open' }).click();
    await expect.poll(() => c.getByTestId('link-error').textContent(), { timeout: 15_000 }).toContain('not the password');
    await c.getByTestId('link-password-input').fill('team link password');
    await c.getByRole('button', { name: 'Open' }).click();
    await expect.poll(() => c.getByTestId('link-entries').textContent(), { timeout: 15_000 }).toContain('plan.txt');
    const href = await c.getByTestId('link-download').getAttribute('href');
    expect(href).toContain('/content?linkToken=');
    const zip = await c.evaluate(async (path) => {
      const res = await fetch(path!);
      return { status: res.status, type: res.headers.get('content-type'), size: (await res.arrayBuffer()).byteLength };
    }, href);
    expect(zip).toMatchObject({ status: 200, type: 'application/zip' });
    expect(zip.size).toBeGreaterThan(0);
    expect(await accessibilityProblems(c)).toEqual([]);
    await c.screenshot({ path: join(SCREENSHOTS, 'public-link.png'), fullPage: true });

    // the wrong password's 401 is the one console error the page may show
    expect(aErrors.filter((e) => !e.includes('422'))).toEqual([]);
    expect(bErrors).toEqual([]);
    expect(cErrors.filter((e) => !e.includes('401'))).toEqual([]);
    await aContext.close();
    await bContext.close();
    await cContext.close();
  });
});
