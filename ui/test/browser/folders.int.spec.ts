import type {} from '@strata/testing';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, inject, it } from 'vitest';
import { SCREENSHOTS, accessibilityProblems, useBrowser, watchConsole } from './browser.js';

const { gatewayUrl } = inject('stack');
const PASSWORD = 'folders through strata';

async function signUp(page: Page, email: string) {
  await page.goto(`${gatewayUrl}/signup`);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL('**/files');
}

/** The API as the same user, in a session of its own: what the page did is checked there too. */
async function apiAs(email: string) {
  const login = await fetch(`${gatewayUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) });
  expect(login.status, await login.clone().text()).toBe(200);
  const { accessToken } = (await login.json()) as { accessToken: string };
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${gatewayUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${accessToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (res.headers.get('content-type')?.includes('json') ? await res.json() : null) as Record<string, unknown> };
  };
  return {
    get: (path: string) => call('GET', path),
    patch: (path: string, body: unknown) => call('PATCH', path, body),
  };
}

async function makeFolder(page: Page, name: string) {
  await page.getByTestId('new-folder').click();
  await page.getByLabel('Folder name').fill(name);
  await page.getByRole('button', { name: 'Create' }).click();
  await expect.poll(() => page.getByTestId('folder-name').allTextContents(), { timeout: 30_000 }).toContain(name);
}

const row = (page: Page, testId: 'file-row' | 'folder-row', name: string) => page.getByTestId(testId).filter({ hasText: name });
const idOf = async (page: Page, testId: 'file-row' | 'folder-row', name: string) => (await row(page, testId, name).getAttribute('data-id'))!;
/** What a datetime-local input holds for a moment: local time, and no seconds on a whole minute (Chromium drops ":00"). */
const localInput = (page: Page, ms: number) => page.evaluate((at) => new Date(at - new Date(at).getTimezoneOffset() * 60_000).toISOString().slice(0, 19).replace(/:00$/, ''), ms);
const noSidewaysScroll = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

describe('folders, moves, the selection and stars in a real browser', () => {
  const { browser } = useBrowser();

  it('makes folders, uploads into one, moves by drag and drop and with the keyboard, shows clashes and cycles, and each folder as it was', { timeout: 120_000 }, async () => {
    const context = await browser().newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors = watchConsole(page);
    const email = `folders-${randomUUID()}@example.test`;
    await signUp(page, email);
    const api = await apiAs(email);

    await makeFolder(page, 'Reports');
    await makeFolder(page, 'Archive');
    const reports = await idOf(page, 'folder-row', 'Reports');
    const archive = await idOf(page, 'folder-row', 'Archive');

    // into a folder: the address carries it, the path shows it, an upload goes in it
    await page.getByRole('link', { name: 'Reports', exact: true }).click();
    await page.waitForURL(`**/files?folder=${reports}`);
    await expect.poll(() => page.getByTestId('crumb').allTextContents(), { timeout: 30_000 }).toEqual(['My drive', 'Reports']);
    await expect.poll(() => page.locator('h1').textContent(), { timeout: 30_000 }).toBe('Reports');
    await page.getByTestId('file-input').setInputFiles([{ name: 'q1.txt', mimeType: 'text/plain', buffer: Buffer.from('first quarter\n') }]);
    await expect.poll(() => page.getByTestId('file-name').allTextContents(), { timeout: 30_000 }).toEqual(['q1.txt']);
    const q1 = await idOf(page, 'file-row', 'q1.txt');
    expect((await api.get(`/api/v1/files/${q1}`)).body.folderId).toBe(reports);
    // a reload shows the same folder
    await page.reload();
    await expect.poll(() => page.getByTestId('file-name').allTextContents(), { timeout: 30_000 }).toEqual(['q1.txt']);
    expect(await accessibilityProblems(page)).toEqual([]);

    // back: the top of the drive again, folders first
    await page.goBack();
    await page.waitForURL(/\/files$/);
    await expect.poll(() => page.getByTestId('folder-name').allTextContents(), { timeout: 30_000 }).toEqual(expect.arrayContaining(['Reports', 'Archive']));
    await page.getByTestId('file-input').setInputFiles([{ name: 'memo.txt', mimeType: 'text/plain', buffer: Buffer.from('a memo\n') }]);
    await expect.poll(() => page.getByTestId('file-name').allTextContents(), { timeout: 30_000 }).toEqual(['memo.txt']);
    const memo = await idOf(page, 'file-row', 'memo.txt');
    // a moment to look back at: a whole second after the upload, before the moves
    const beforeMoves = Math.ceil((Date.now() + 1) / 1000) * 1000;
    await new Promise((r) => setTimeout(r, beforeMoves - Date.now() + 50));

    // a real mouse drag of the file's row onto the folder's row
    await row(page, 'file-row', 'memo.txt').dragTo(row(page, 'folder-row', 'Archive'));
    await expect.poll(() => page.getByTestId('notice').textContent(), { timeout: 30_000 }).toBe('Moved “memo.txt” to “Archive”.');
    await expect.poll(() => page.getByTestId('file-row').count(), { timeout: 30_000 }).toBe(0);
    expect((await api.get(`/api/v1/files/${memo}`)).body.folderId).toBe(archive);

    // a second memo.txt dragged onto the same folder: the name is taken there, and the page says so
    await page.getByTestId('file-input').setInputFiles([{ name: 'memo.txt', mimeType: 'text/plain', buffer: Buffer.from('another memo\n') }]);
    await expect.poll(() => page.getByTestId('file-name').allTextContents(), { timeout: 30_000 }).toEqual(['memo.txt']);
    const second = await idOf(page, 'file-row', 'memo.txt');
    await row(page, 'file-row', 'memo.txt').dragTo(row(page, 'folder-row', 'Archive'));
    await expect.poll(() => page.getByTestId('bulk-failures').textContent(), { timeout: 30_000 }).toMatch(/“memo\.txt”: .+/);
    expect((await api.get(`/api/v1/files/${second}`)).body.folderId).toBeNull();

    // the folder Reports dragged into Archive, shown there, and dragged back out onto a breadcrumb
    await row(page, 'folder-row', 'Reports').dragTo(row(page, 'folder-row', 'Archive'));
    await expect.poll(() => page.getByTestId('notice').textContent(), { timeout: 30_000 }).toBe('Moved “Reports” to “Archive”.');
    expect((await api.get(`/api/v1/folders/${reports}`)).body.parentId).toBe(archive);
    await page.getByRole('link', { name: 'Archive', exact: true }).click();
    await page.waitForURL(`**/files?folder=${archive}`);
    await expect.poll(() => page.getByTestId('folder-name').allTextContents(), { timeout: 30_000 }).toEqual(['Reports']);
    await expect.poll(() => page.getByTestId('file-name').allTextContents(), { timeout: 30_000 }).toEqual(['memo.txt']);
    await page.screenshot({ path: join(SCREENSHOTS, 'folders.png'), fullPage: true });
    expect(await accessibilityProblems(page)).toEqual([]);
    await row(page, 'folder-row', 'Reports').dragTo(page.getByTestId('crumb').filter({ hasText: 'My drive' }));
    await expect.poll(() => page.getByTestId('notice').textContent(), { timeout: 30_000 }).toBe('Moved “Reports” to “My drive”.');
    expect((await api.get(`/api/v1/folders/${reports}`)).body.parentId).toBeNull();

    // the keyboard's way: Move… and a folder chooser, driven by keys alone
    await page.getByTestId('crumb').filter({ hasText: 'My drive' }).click();
    await page.waitForURL(/\/files$/);
    await expect.poll(() => page.getByTestId('folder-name').allTextContents(), { timeout: 30_000 }).toEqual(expect.arrayContaining(['Reports', 'Archive']));
    await page.getByRole('button', { name: 'Move memo.txt', exact: true }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('move-dialog').isVisible(), { timeout: 30_000 }).toBe(true);
    await expect.poll(() => page.getByRole('button', { name: 'Open Reports' }).count(), { timeout: 30_000 }).toBe(1);
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.getByRole('button', { name: 'Open Reports' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('move-dialog').locator('[aria-current="location"]').textContent(), { timeout: 30_000 }).toBe('Reports');
    await page.getByTestId('move-here').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('notice').textContent(), { timeout: 30_000 }).toBe('Moved “memo.txt” to “Reports”.');
    expect((await api.get(`/api/v1/files/${second}`)).body.folderId).toBe(reports);

    // a folder into one of its own folders: the chooser was opened before the tree changed elsewhere, and the service's 409 is shown
    await page.getByRole('button', { name: 'Move Reports', exact: true }).click();
    await page.getByRole('button', { name: 'Open Archive' }).click();
    await expect.poll(() => page.getByTestId('move-dialog').locator('[aria-current="location"]').textContent(), { timeout: 30_000 }).toBe('Archive');
    expect((await api.patch(`/api/v1/folders/${archive}`, { parentId: reports })).status).toBe(200);
    await page.getByTestId('move-here').click();
    await expect.poll(() => page.getByTestId('bulk-failures').textContent(), { timeout: 30_000 }).toMatch(/“Reports”: .+/);
    expect((await api.get(`/api/v1/folders/${reports}`)).body.parentId).toBeNull();
    expect((await api.patch(`/api/v1/folders/${archive}`, { parentId: null })).status).toBe(200);
    await expect.poll(() => page.getByTestId('folder-name').allTextContents(), { timeout: 30_000 }).toEqual(expect.arrayContaining(['Reports', 'Archive']));

    // the top of the drive as it was before the moves: memo.txt at the top, Archive empty, both marked as the past
    await page.getByTestId('as-of-input').fill(await localInput(page, beforeMoves));
    await page.getByTestId('as-of-show').click();
    await expect.poll(() => page.getByTestId('as-of-banner').textContent(), { timeout: 30_000 }).toContain('The past');
    await expect.poll(() => page.getByTestId('file-name').allTextContents(), { timeout: 30_000 }).toEqual(['memo.txt']);
    expect(await page.getByTestId('folder-name').allTextContents()).toEqual(expect.arrayContaining(['Reports', 'Archive']));
    expect(await page.getByRole('button', { name: /^(Rename|Delete|Move) / }).count()).toBe(0);
    expect(await page.getByRole('checkbox').count()).toBe(0);
    await page.getByRole('link', { name: 'Archive', exact: true }).click();
    await page.waitForURL((url) => url.searchParams.get('folder') === archive && url.searchParams.get('asOf') !== null);
    await expect.poll(() => page.getByTestId('crumb').allTextContents(), { timeout: 30_000 }).toEqual(['My drive', 'Archive']);
    expect(await page.getByTestId('as-of-banner').count()).toBe(1);
    await expect.poll(() => page.getByText('This folder held nothing at that moment.').count(), { timeout: 30_000 }).toBe(1);
    await page.getByTestId('crumb').filter({ hasText: 'My drive' }).click();
    await expect.poll(() => page.getByTestId('file-name').allTextContents(), { timeout: 30_000 }).toEqual(['memo.txt']);
    await page.getByTestId('as-of-now').click();
    await expect.poll(() => page.getByTestId('as-of-banner').count(), { timeout: 30_000 }).toBe(0);

    // the drive as of yesterday, before the account was made: empty, and the past
    await page.getByTestId('as-of-input').fill(await localInput(page, Date.now() - 86_400_000));
    await page.getByTestId('as-of-show').click();
    await expect.poll(() => page.getByTestId('as-of-banner').textContent(), { timeout: 30_000 }).toContain('The past');
    await expect.poll(() => page.getByText('Your drive held no files at that moment.').count(), { timeout: 30_000 }).toBe(1);
    expect(await page.getByTestId('file-row').count()).toBe(0);
    expect(await accessibilityProblems(page)).toEqual([]);

    expect(errors).toEqual([]);
    await context.close();
  });

  it('selects many, trashes and stars them from the bulk bar, downloads them as one ZIP, and lists the starred and the recent', { timeout: 120_000 }, async () => {
    const context = await browser().newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const errors = watchConsole(page);
    const email = `bulk-${randomUUID()}@example.test`;
    await signUp(page, email);
    const api = await apiAs(email);

    await makeFolder(page, 'Team');
    const names = ['one.txt', 'two.txt', 'three.txt', 'four.txt'];
    await page.getByTestId('file-input').setInputFiles(names.map((name) => ({ name, mimeType: 'text/plain', buffer: Buffer.from(`${name}\n`) })));
    await expect.poll(() => page.getByTestId('file-name').allTextContents(), { timeout: 30_000 }).toEqual(expect.arrayContaining(names));

    // two picked: the bar says so; trash them
    await page.getByRole('checkbox', { name: 'Select one.txt' }).check();
    await page.getByRole('checkbox', { name: 'Select two.txt' }).check();
    await expect.poll(() => page.getByTestId('selected-count').textContent(), { timeout: 30_000 }).toBe('2 files');
    expect(await page.getByTestId('select-all').evaluate((e) => (e as HTMLInputElement).indeterminate)).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'bulk-bar.png'), fullPage: true });
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.getByTestId('bulk-bar').getByRole('button', { name: 'Move to trash' }).click();
    await expect.poll(() => page.getByTestId('notice').textContent(), { timeout: 30_000 }).toBe('Moved 2 files to the trash.');
    await expect.poll(async () => (await page.getByTestId('file-name').allTextContents()).sort(), { timeout: 30_000 }).toEqual(['four.txt', 'three.txt']);
    expect(await page.getByTestId('bulk-bar').count()).toBe(0);
    const trash = await api.get('/api/v1/trash');
    expect((trash.body.items as { name: string }[]).map((f) => f.name).sort()).toEqual(['one.txt', 'two.txt']);

    // everything on the page: star it, then download it as one archive
    await page.getByTestId('select-all').check();
    await expect.poll(() => page.getByTestId('selected-count').textContent(), { timeout: 30_000 }).toBe('3 items');
    await page.getByTestId('bulk-bar').getByRole('button', { name: 'Star', exact: true }).click();
    await expect.poll(() => page.getByTestId('notice').textContent(), { timeout: 30_000 }).toBe('Starred 3 items.');
    await expect.poll(() => page.getByTestId('star').evaluateAll((els) => els.map((e) => e.getAttribute('aria-pressed'))), { timeout: 30_000 }).toEqual(['true', 'true', 'true']);
    await page.getByTestId('select-all').check();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('bulk-bar').getByRole('button', { name: 'Download as ZIP' }).click()]);
    const archive = readFileSync((await download.path())!);
    expect(archive.subarray(0, 2).toString()).toBe('PK');
    // stored, not compressed: each name and its content are in the archive as they are
    for (const name of ['three.txt', 'four.txt']) expect(archive.includes(Buffer.from(name))).toBe(true);
    expect(download.suggestedFilename()).toMatch(/\.zip$/);

    // one star taken off by its own toggle; the starred view lists the others
    await page.getByRole('button', { name: 'Star four.txt' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Star four.txt' }).getAttribute('aria-pressed'), { timeout: 30_000 }).toBe('false');
    await page.getByRole('link', { name: 'Starred' }).click();
    await page.waitForURL('**/starred');
    await expect.poll(() => page.getByTestId('starred-row').allTextContents(), { timeout: 30_000 }).toHaveLength(2);
    const starred = await page.getByTestId('starred-row').allTextContents();
    expect(starred.some((t) => t.includes('Team'))).toBe(true);
    expect(starred.some((t) => t.includes('three.txt'))).toBe(true);
    expect(starred.some((t) => t.includes('four.txt'))).toBe(false);
    expect(await accessibilityProblems(page)).toEqual([]);

    await page.getByRole('link', { name: 'Recent' }).click();
    await page.waitForURL('**/recent');
    await expect.poll(() => page.getByTestId('recent-name').allTextContents(), { timeout: 30_000 }).toEqual(expect.arrayContaining(['three.txt', 'four.txt']));
    expect(await accessibilityProblems(page)).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('uploads a picked folder with its structure into the folder shown, and takes it to the trash and back', { timeout: 120_000 }, async () => {
    const context = await browser().newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors = watchConsole(page);
    const email = `tree-${randomUUID()}@example.test`;
    await signUp(page, email);
    const api = await apiAs(email);
    await makeFolder(page, 'Holidays');
    const holidays = await idOf(page, 'folder-row', 'Holidays');
    await page.getByRole('link', { name: 'Holidays', exact: true }).click();
    await page.waitForURL(`**/files?folder=${holidays}`);

    const top = mkdtempSync(join(tmpdir(), 'strata-tree-'));
    const trip = join(top, 'trip');
    mkdirSync(join(trip, 'day1'), { recursive: true });
    mkdirSync(join(trip, 'day2'));
    writeFileSync(join(trip, 'plan.txt'), 'the plan\n');
    writeFileSync(join(trip, 'day1', 'beach.txt'), 'the beach\n');
    writeFileSync(join(trip, 'day2', 'hills.txt'), 'the hills\n');
    await page.getByTestId('folder-input').setInputFiles(trip);
    await expect.poll(() => page.locator('[data-testid="upload-row"][data-state="done"]').count(), { timeout: 30_000 }).toBe(3);
    await expect.poll(() => page.getByTestId('folder-name').allTextContents(), { timeout: 30_000 }).toEqual(['trip']);

    const children = async (id: string) => ((await api.get(`/api/v1/folders/${id}/children?sort=name`)).body.items as { kind: string; name: string; id: string }[]);
    const [tripFolder] = await children(holidays);
    expect(tripFolder).toMatchObject({ kind: 'folder', name: 'trip' });
    const inTrip = await children(tripFolder!.id);
    expect(inTrip.map((e) => `${e.kind}:${e.name}`)).toEqual(['folder:day1', 'folder:day2', 'file:plan.txt']);
    expect((await children(inTrip[0]!.id)).map((e) => e.name)).toEqual(['beach.txt']);
    expect((await children(inTrip[1]!.id)).map((e) => e.name)).toEqual(['hills.txt']);

    // the folder to the trash: the trash page lists it (and the files that went with it); it comes back whole
    await page.getByRole('checkbox', { name: 'Select trip' }).check();
    await page.getByTestId('bulk-bar').getByRole('button', { name: 'Move to trash' }).click();
    await expect.poll(() => page.getByTestId('folder-name').count(), { timeout: 30_000 }).toBe(0);
    await page.getByRole('link', { name: 'Trash' }).click();
    await page.waitForURL('**/trash');
    await expect.poll(() => page.getByTestId('trash-folder-row').allTextContents(), { timeout: 30_000 }).toEqual([expect.stringContaining('trip')]);
    await expect.poll(() => page.getByTestId('trash-row').count(), { timeout: 30_000 }).toBe(3);
    expect(await page.getByTestId('trash-folder-row').getAttribute('data-id')).toBe(tripFolder!.id);
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.getByRole('button', { name: 'Restore folder trip' }).click();
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: 30_000 }).toContain('“trip” and what was in it are back');
    await expect.poll(() => page.getByTestId('trash-folder-row').count(), { timeout: 30_000 }).toBe(0);
    await expect.poll(() => page.getByTestId('trash-row').count(), { timeout: 30_000 }).toBe(0);
    expect((await children(holidays)).map((e) => `${e.kind}:${e.name}`)).toEqual(['folder:trip']);
    expect((await children(tripFolder!.id)).map((e) => e.name)).toEqual(['day1', 'day2', 'plan.txt']);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('fits a phone’s width (390 px) on every page, the files page with folders, the bulk bar and the past included', { timeout: 90_000 }, async () => {
    const context = await browser().newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const errors = watchConsole(page);
    await signUp(page, `phone-${randomUUID()}@example.test`);
    await makeFolder(page, 'A folder with a rather long name for a phone');
    await page.getByTestId('file-input').setInputFiles([{ name: 'a-long-file-name-that-goes-on-and-on-without-any-space.txt', mimeType: 'text/plain', buffer: Buffer.from('x\n') }]);
    await expect.poll(() => page.getByTestId('file-row').count(), { timeout: 30_000 }).toBe(1);
    expect(await noSidewaysScroll(page)).toBe(true);
    await page.getByTestId('select-all').check();
    await expect.poll(() => page.getByTestId('bulk-bar').count(), { timeout: 30_000 }).toBe(1);
    expect(await noSidewaysScroll(page)).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'files-phone.png'), fullPage: true });
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.getByRole('link', { name: /A folder with/ }).click();
    await expect.poll(() => page.getByTestId('crumb').count(), { timeout: 30_000 }).toBe(2);
    expect(await noSidewaysScroll(page)).toBe(true);
    // a moment just ahead is now: the folder is there
    await page.getByTestId('as-of-input').fill(await localInput(page, Date.now() + 2000));
    await page.getByTestId('as-of-show').click();
    await expect.poll(() => page.getByTestId('as-of-banner').count(), { timeout: 30_000 }).toBe(1);
    expect(await noSidewaysScroll(page)).toBe(true);
    for (const path of ['/starred', '/recent', '/trash', '/activity', '/usage', '/devices', '/account', '/ask']) {
      await page.goto(`${gatewayUrl}${path}`);
      await page.locator('h1').waitFor();
      expect(await noSidewaysScroll(page), path).toBe(true);
    }
    expect(errors).toEqual([]);
    await context.close();
  });
});

