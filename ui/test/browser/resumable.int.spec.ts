import type {} from '@strata/testing';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { useBrowser, watchConsole } from './browser.js';

const { gatewayUrl } = inject('stack');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('resumable uploads in a real browser', () => {
  const { browser } = useBrowser();
  const dir = mkdtempSync(join(tmpdir(), 'strata-resume-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('uploads a large file in chunks, survives a reload half-way, and resumes when the same file is chosen again', async () => {
    // a real file on disk: its name, size and date identify the upload to resume
    const path = join(dir, 'big-scan.bin');
    const bytes = randomBytes(40 * 1024 * 1024);
    writeFileSync(path, bytes);

    const context = await browser().newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const errors = watchConsole(page);
    await page.goto(`${gatewayUrl}/signup`);
    await page.getByLabel('E-mail').fill(`resume-${randomUUID()}@example.test`);
    await page.getByLabel('Password').fill('resume after a reload');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL('**/files');

    // a slow uplink, so that the reload lands in the middle of the upload
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 6 * 1024 * 1024 });

    await page.getByTestId('file-input').setInputFiles(path);
    const progress = page.locator('[data-testid="upload-row"] progress');
    await expect.poll(() => progress.evaluate((e) => (e as HTMLProgressElement).value), { timeout: 30_000 }).toBeGreaterThanOrEqual(16 * 1024 * 1024);

    await page.reload();
    await expect.poll(() => page.getByTestId('unfinished').textContent()).toContain('big-scan.bin');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

    await page.getByTestId('file-input').setInputFiles(path);
    await expect.poll(() => page.getByTestId('resumed').count()).toBe(1);
    await expect.poll(() => page.locator('[data-testid="upload-row"][data-state="done"]').count(), { timeout: 60_000 }).toBe(1);
    await expect.poll(() => page.getByTestId('file-name').allTextContents()).toEqual(['big-scan.bin']);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download big-scan.bin' }).click()]);
    expect(sha256(readFileSync((await download.path())!))).toBe(sha256(bytes));
    // the aborted request of the reload is the only failure the console may show
    expect(errors.filter((e) => !e.includes('net::ERR_ABORTED') && !e.includes('status of 4'))).toEqual([]);
    await context.close();
  });
});
