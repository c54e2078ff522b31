// How the UI copes with big sessions and bursts. Figures are printed (and
// attached to the report), not asserted: machines differ. What is asserted is
// that every event arrives and is shown.
import { test, expect, openUi, cards } from './harness';
import { Page } from '@playwright/test';

/** Frame-time statistics (ms) of the page over `ms` of running `during`. */
async function frames(page: Page, ms: number, during: () => Promise<void>): Promise<{ p50: number; p95: number; max: number; n: number }> {
  await page.evaluate(() => {
    const w = window as any;
    w.__frames = [];
    let last = performance.now();
    w.__frameLoop = true;
    const tick = (now: number) => { w.__frames.push(now - last); last = now; if (w.__frameLoop) requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  });
  await during();
  await page.waitForTimeout(ms);
  const gaps: number[] = await page.evaluate(() => { const w = window as any; w.__frameLoop = false; return w.__frames; });
  gaps.sort((a, b) => a - b);
  const at = (p: number) => gaps[Math.min(gaps.length - 1, Math.floor(p * gaps.length))];
  return { p50: at(0.5), p95: at(0.95), max: gaps[gaps.length - 1], n: gaps.length };
}

function report(name: string, value: unknown) {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  console.log(`[scale] ${name}: ${text}`);
  test.info().annotations.push({ type: name, description: text });
}

test('a session of 20,000 events loads and scrolls smoothly', async ({ page, tc }) => {
  // 20 streamed answers of 997 deltas: with request, headers and stream end, 20,000 events.
  for (let i = 0; i < 20; i++) {
    await tc.send('bench', { headers: { 'x-mock-count': '997' } });
  }
  await expect.poll(() => tc.logLines(), { timeout: 30_000 }).toBe(20_000);

  const start = Date.now();
  await page.goto(tc.web);
  await expect(page.locator('[data-role="counts"]')).toHaveText('20000 events', { timeout: 60_000 });
  await expect(page.locator('article[data-seq="20000"]')).toBeInViewport();
  report('load 20000 events (ms, navigation to the last card on screen)', Date.now() - start);
  // Only the cards near the viewport are in the page.
  const inDom = await cards(page).count();
  expect(inDom).toBeLessThan(200);
  report('cards in the DOM for 20000 events', inDom);

  const timeline = page.locator('main.timeline');
  const scroll = await frames(page, 2500, async () => {
    await timeline.evaluate((el) => {
      // Scroll from top to bottom in 2 seconds, as a fling would.
      el.scrollTop = 0;
      const t0 = performance.now();
      const step = (now: number) => {
        const f = Math.min(1, (now - t0) / 2000);
        el.scrollTop = f * (el.scrollHeight - el.clientHeight);
        if (f < 1) requestAnimationFrame(step);
      };
      requestAnimationFrame(step);
    });
  });
  report('scrolling through 20000 events, frame times (ms)', scroll);
  const heap = await page.evaluate(() => (performance as any).memory?.usedJSHeapSize ?? 0);
  report('JS heap with 20000 events (MiB)', (heap / 1048576).toFixed(1));

  // Every card is reachable: the middle of the session, opened.
  await page.getByLabel('Auto-scroll').uncheck();
  await timeline.evaluate((el) => (el.scrollTop = (el.scrollHeight - el.clientHeight) / 2));
  const middle = page.locator('article[data-seq="10000"]');
  await expect(middle).toBeInViewport();
  await middle.locator('.card-head').click();
  const type = await middle.getAttribute('data-type');
  await expect(middle.locator('pre.json')).toContainText(`"type": "${type}"`);
  // And the last one, at the bottom. A jump past an opened card can land
  // short of the end while the skipped cards' heights settle, as a user's
  // would; a second jump reaches it.
  await expect(async () => {
    await timeline.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await expect(page.locator('article[data-seq="20000"]')).toBeInViewport({ timeout: 1000 });
  }).toPass({ timeout: 10_000 });
  await page.screenshot({ path: 'test-results/scale-20000.png' });
});

test('a new event is on screen within moments of the proxy seeing it', async ({ page, tc }) => {
  await openUi(page, tc);
  // The page notes when each response card is added; the event's own
  // timestamp is when the proxy saw it (same machine, same clock).
  await page.evaluate(() => {
    const w = window as any;
    w.__shown = {};
    new MutationObserver((records) => {
      for (const r of records) for (const n of Array.from(r.addedNodes)) {
        const el = n as Element;
        if (el.getAttribute?.('data-type') === 'response') w.__shown[el.getAttribute('data-flow-id')!] = Date.now();
      }
    }).observe(document.querySelector('main.timeline')!, { childList: true });
  });
  for (let i = 0; i < 10; i++) {
    await tc.send('json');
    await page.waitForTimeout(150);
  }
  await expect(page.locator('article[data-type="response"]')).toHaveCount(10);
  const shown: Record<string, number> = await page.evaluate(() => (window as any).__shown);
  const responses = require('fs').readFileSync(tc.logPath, 'utf8').trim().split('\n')
    .map((l: string) => JSON.parse(l)).filter((e: any) => e.type === 'response');
  expect(responses.length).toBe(10);
  const delays = responses.map((e: any) => shown[e.flow_id] - Date.parse(e.ts));
  delays.sort((a, b) => a - b);
  report('proxy saw the response → its card in the page (ms, median and max of 10)', { median: delays[5], max: delays[9] });
});

test('a live burst of 1,000 events a second does not freeze the page', async ({ page, tc }) => {
  await openUi(page, tc);
  let sent: Promise<string> | undefined;
  const burst = await frames(page, 3500, async () => {
    // 3,000 deltas, one every millisecond, as one streamed answer.
    sent = tc.send('bench', { headers: { 'x-mock-count': '3000', 'x-mock-interval-us': '1000' } });
  });
  await sent;
  await expect(page.locator('[data-role="counts"]')).toHaveText('3003 events', { timeout: 30_000 });
  report('frame times during a 1000 events/s burst (ms)', burst);

  // The page answers a click at once after the burst.
  const t0 = Date.now();
  await page.getByRole('button', { name: 'SSE', exact: true }).click();
  await expect(cards(page)).toHaveCount(3);
  report('filter click to 3 cards after the burst (ms)', Date.now() - t0);
});
