// The self-contained HTML report, opened from disk: the UI's flow list,
// flow view, totals and search with no server and no network.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Page } from '@playwright/test';
import { spawnSync } from 'child_process';
import { test, expect, binary, makeSessionLog } from './harness';

/** Everything the page asks for must come from the file itself. */
function watchNetwork(page: Page): string[] {
  const external: string[] = [];
  page.on('request', (r) => {
    if (!/^(file|blob|data):/.test(r.url())) external.push(r.url());
  });
  return external;
}

async function saveReport(web: string, file: string, query = ''): Promise<number> {
  const response = await fetch(`${web}/api/export/html${query}`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename=".*\.html"$/);
  const body = Buffer.from(await response.arrayBuffer());
  fs.writeFileSync(file, body);
  return body.length;
}

test('a report opens from disk with the flow list, the flow view, totals and search', async ({ page, tc }) => {
  await tc.send('text', { headers: { 'x-claude-code-session-id': 'sess-R' }, body: { model: 'claude-sonnet-4-5', stream: true, messages: [{ role: 'user', content: 'Describe a </script><b>zebra</b>' }] } });
  await tc.send('thinking_tool', { headers: { 'x-claude-code-session-id': 'sess-R' } });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-e2e-report-'));
  const file = path.join(dir, 'report.html');
  await saveReport(tc.web, file);
  const shapeOnly = path.join(dir, 'shape.html');
  await saveReport(tc.web, shapeOnly, '?redact_bodies=1');
  await tc.stop();

  const external = watchNetwork(page);
  await page.goto(`file://${file}`);
  const rows = page.locator('[data-role="flow"]');
  await expect(rows).toHaveCount(2);
  await expect(page.getByRole('status')).toHaveText('saved session');
  await expect(page.locator('[data-role="totals-headline"]')).toContainText('2 requests');
  await expect(page.locator('[data-pane="timeline"]')).toHaveCount(0);

  await rows.nth(0).click();
  const view = page.locator('[data-role="flow-view"]');
  await expect(view.locator('[data-role="message"]')).toContainText('Describe a </script><b>zebra</b>');
  await page.locator('[data-tab="response"]').click();
  await expect(view.locator('[data-role="response"]')).toContainText('Hello');
  await rows.nth(1).click();
  await expect(view.locator('[data-block="tool_use"]')).toContainText('tool call Bash');

  await page.locator('[data-role="search"]').fill('ZEBRA');
  await expect(page.locator('[data-role="flow"].match')).toHaveCount(1);
  await expect(page.locator('b')).toHaveCount(0);
  await page.screenshot({ path: 'test-results/report.png' });
  expect(external).toEqual([]);

  // With message contents removed, the report keeps the shape only.
  await page.goto(`file://${shapeOnly}`);
  await expect(rows).toHaveCount(2);
  await rows.nth(0).click();
  await expect(view.locator('[data-role="message"]')).toContainText('[removed: 32 chars]');
  await expect(page.locator('body')).not.toContainText('zebra');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a report of a 100 MB session opens quickly and unpacks flows on demand', async ({ page }) => {
  test.setTimeout(300_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-e2e-report-'));
  try {
    const log = path.join(dir, 'session_big.jsonl');
    const logBytes = makeSessionLog(log, 100, 1024, 200);
    // From the command line this time; the first test downloads one.
    const file = path.join(dir, 'report.html');
    const made = spawnSync(binary('trace_claude'), ['export', '--html', log, '-o', file], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const reportBytes = fs.statSync(file).size;
    const started = Date.now();
    await page.goto(`file://${file}`);
    await expect(page.locator('[data-role="flow"]')).toHaveCount(100, { timeout: 60_000 });
    const listed = Date.now() - started;
    const opened = Date.now();
    await page.locator('[data-role="flow"][data-flow-id="flow00050"]').click();
    await expect(page.locator('[data-role="flow-view"] [data-role="message"]').first()).toBeVisible({ timeout: 60_000 });
    const openMs = Date.now() - opened;
    const heap = await page.evaluate(() => (performance as any).memory?.usedJSHeapSize ?? 0);
    console.log(
      `report: ${(logBytes / 2 ** 20).toFixed(0)} MiB log → ${(reportBytes / 2 ** 20).toFixed(1)} MiB file; ` +
        `flow list in ${listed} ms, a flow opened in ${openMs} ms, JS heap ${(heap / 2 ** 20).toFixed(1)} MiB`,
    );
    expect(reportBytes).toBeLessThan(logBytes / 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
