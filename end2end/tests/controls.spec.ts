// Every button and toggle of the timeline, the flow list and the flow view,
// pressed while events stream in, in a live session and in a saved one. The
// harness fails a test on any page or console error: with `panic = "abort"`,
// one panic (a card reached after its signals were disposed, say) leaves a
// dead page that still looks fine, so each round also proves the page still
// answers a click.
import * as fs from 'fs';
import * as path from 'path';
import { Page } from '@playwright/test';
import { test, expect, openUi, cards, TraceClaude, View } from './harness';

const rows = (page: Page) => page.locator('[data-role="flow"]');
const timeline = (page: Page) => page.locator('main.timeline');

/** A stream that lasts a while and a whole answer, every second or so,
 * until stopped (at most 3 minutes). */
function keepSending(tc: TraceClaude): { stop: () => Promise<number> } {
  let running = true;
  let sent = 0;
  const deadline = Date.now() + 180_000;
  const loop = (async () => {
    while (running && Date.now() < deadline) {
      await Promise.all([
        tc.send('slow', { headers: { 'x-mock-count': '30', 'x-mock-interval-ms': '15', 'x-claude-code-session-id': 'sess-live' } }),
        tc.send(sent % 2 ? 'thinking_tool' : 'json', { headers: { 'x-claude-code-session-id': 'sess-live', 'x-claude-code-agent-id': 'agent-bg' } }),
      ]);
      sent += 2;
      await new Promise((resolve) => setTimeout(resolve, 700));
    }
  })();
  return { stop: async () => { running = false; await loop; return sent; } };
}

/** The page still reacts: a type filter hides its cards and brings them back. */
async function stillAlive(page: Page) {
  await page.locator('[data-pane="timeline"]').click();
  const end = page.getByRole('button', { name: 'END', exact: true });
  await end.click();
  await expect(end).toHaveAttribute('aria-pressed', 'false');
  await expect(page.locator('article[data-type="stream_end"]')).toHaveCount(0);
  await end.click();
  await expect(end).toHaveAttribute('aria-pressed', 'true');
}

async function pressTimelineControls(page: Page) {
  await page.locator('[data-pane="timeline"]').click();
  await expect(cards(page).first()).toBeVisible();
  for (const name of ['REQ', 'HDR', 'SSE', 'RES', 'END', 'ERR']) {
    const filter = page.getByRole('button', { name, exact: true });
    await filter.click();
    await expect(filter).toHaveAttribute('aria-pressed', 'false');
    await filter.click();
    await expect(filter).toHaveAttribute('aria-pressed', 'true');
  }
  // Expand All re-lays the window: cards that were rendered leave it while
  // their measurements are still pending. Each open card is measured.
  await page.getByRole('button', { name: 'Expand All' }).click();
  await expect(page.locator('article.expanded').first()).toBeVisible();
  await timeline(page).evaluate((el) => { el.scrollTop = el.scrollHeight; });
  await page.waitForTimeout(200);
  await timeline(page).evaluate((el) => { el.scrollTop = el.scrollHeight / 2; });
  await page.waitForTimeout(200);
  await timeline(page).evaluate((el) => { el.scrollTop = 0; });
  await expect(page.locator('article.expanded').first()).toBeVisible();
  await page.getByRole('button', { name: 'Collapse All' }).click();
  await expect(page.locator('article.expanded')).toHaveCount(0);
  await page.getByRole('button', { name: 'Expand All' }).click();
  await page.getByRole('button', { name: 'Collapse All' }).click();

  // One card open, then closed again: held still (auto-scroll off, at the
  // top), as new events would otherwise move it out of the window.
  const autoscroll = page.getByRole('checkbox', { name: 'Auto-scroll' });
  await autoscroll.uncheck();
  await expect(autoscroll).not.toBeChecked();
  await timeline(page).evaluate((el) => { el.scrollTop = 0; });
  // The window follows the scroll on the next frames: let it settle first.
  await page.waitForTimeout(300);
  const seq = await cards(page).first().getAttribute('data-seq');
  const card = page.locator(`article[data-seq="${seq}"]`);
  await card.locator('.card-head').click();
  await expect(card).toHaveClass(/expanded/);
  await card.locator('.card-head').click();
  await expect(card).not.toHaveClass(/expanded/);
  await autoscroll.check();
  await expect(autoscroll).toBeChecked();

  // Clear while expanded, then expand what comes after.
  await page.getByRole('button', { name: 'Expand All' }).click();
  await page.getByRole('button', { name: 'Clear' }).click();
  await page.getByRole('button', { name: 'Expand All' }).click();
  await page.waitForTimeout(300);
  await page.getByRole('button', { name: 'Collapse All' }).click();
}

async function pressFlowControls(page: Page) {
  // Every column sorts, both ways.
  const sorts = page.locator('th button[data-sort]');
  const columns = await sorts.count();
  expect(columns).toBeGreaterThan(5);
  for (let i = 0; i < columns; i++) {
    await sorts.nth(i).click();
    await sorts.nth(i).click();
  }
  const search = page.locator('[data-role="search"]');
  await search.fill('claude');
  await page.locator('[data-role="only-matches"]').check();
  await expect(rows(page).first()).toBeVisible();
  await page.locator('[data-role="only-matches"]').uncheck();
  await search.fill('');
  for (const role of ['filter-model', 'filter-path', 'filter-session', 'filter-agent', 'filter-status']) {
    const select = page.locator(`[data-role="${role}"]`);
    if ((await select.count()) === 0) continue;
    const values = await select.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    for (const value of values) await select.selectOption(value);
    await select.selectOption('');
  }

  // Open flows, the one still streaming among them, and every tab of each.
  const view = page.locator('[data-role="flow-view"]');
  for (const i of [0, 1, -1]) {
    const target = i < 0 ? rows(page).last() : rows(page).nth(i);
    await target.click();
    await expect(view).toHaveAttribute('data-flow-id', /.+/);
    for (const tab of ['request', 'response', 'timing', 'changes']) {
      await page.locator(`[data-tab="${tab}"]`).click();
      await expect(page.locator(`[data-tab="${tab}"]`)).toHaveAttribute('aria-selected', 'true');
    }
    for (const action of ['copy-curl', 'copy-curl-key', 'copy-text']) {
      const button = page.locator(`[data-action="${action}"]`);
      if ((await button.count()) > 0 && (await button.isEnabled())) await button.click();
    }
    for (const details of await view.locator('details').all()) {
      await details.locator('summary').first().click();
    }
  }
  // Back and forth between the panes while the opened flow updates.
  for (let n = 0; n < 3; n++) {
    await page.locator('[data-pane="timeline"]').click();
    await page.locator('[data-pane="flow"]').click();
  }
}

test('every control of a live session, pressed while events stream in', async ({ page, context, tc }) => {
  test.setTimeout(240_000);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await tc.send('text');
  await tc.send('thinking_tool');
  await openUi(page, tc);
  const traffic = keepSending(tc);
  try {
    await expect(rows(page)).not.toHaveCount(2);
    await pressTimelineControls(page);
    await pressFlowControls(page);
    await pressTimelineControls(page);
    await stillAlive(page);
  } finally {
    expect(await traffic.stop()).toBeGreaterThan(0);
  }
  await page.screenshot({ path: 'test-results/controls-live.png' });
});

test('every control of a saved session, opened beside a live one and on its own', async ({ page, context, tc, mock }) => {
  test.setTimeout(240_000);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await tc.send('text');
  await tc.send('thinking_tool', { headers: { 'x-claude-code-agent-id': 'agent-9' } });
  await tc.send('overloaded');
  // A second recording in the same directory: the first becomes a saved session.
  const saved = path.basename(tc.logPath, '.jsonl');
  await tc.stop();
  const live = await TraceClaude.start(mock.url, { sessionsDir: tc.sessionsDir });
  try {
    await openUi(page, live);
    const traffic = keepSending(live);
    try {
      // Switching sessions while the live one streams.
      await page.locator('[data-role="session-picker"]').selectOption(saved);
      await expect(page.getByRole('status')).toHaveText('saved session');
      await expect(rows(page)).toHaveCount(3);
      await pressFlowControls(page);
      await pressTimelineControls(page);
      await stillAlive(page);
      // And back to the live one.
      await page.locator('[data-role="session-picker"]').selectOption('');
      await expect(page.getByRole('status')).toHaveText('live');
      await pressTimelineControls(page);
      await stillAlive(page);
    } finally {
      await traffic.stop();
    }
  } finally {
    await live.stop();
  }

  // `view` over the same log, with no proxy at all.
  const copy = path.join(tc.sessionsDir, 'copy-of-saved.jsonl');
  fs.copyFileSync(tc.logPath, copy);
  const viewer = await View.start([copy]);
  try {
    await page.goto(viewer.web);
    await expect(page.getByRole('status')).toHaveText('saved session');
    await expect(rows(page)).toHaveCount(3);
    await pressFlowControls(page);
    await pressTimelineControls(page);
    await stillAlive(page);
    await page.screenshot({ path: 'test-results/controls-saved.png' });
  } finally {
    viewer.stop();
  }
});
