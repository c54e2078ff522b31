// A large saved session in the browser: the flow list must show quickly and
// the tab stay small, because bodies travel only when a flow is opened.
// TRACE_CLAUDE_SCALE_MB sets the log's size (default 150 in CI; the figures
// in the README come from a 500 MB run).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { test, expect, View, makeSessionLog } from './harness';

const FLOWS = 300;
const MB = Number(process.env.TRACE_CLAUDE_SCALE_MB ?? 150);

test('a large session lists its flows at once and opens one without loading the rest', async ({ page }) => {
  test.setTimeout(300_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-e2e-large-'));
  const file = path.join(dir, 'session_large.jsonl');
  try {
    const bytes = makeSessionLog(file, FLOWS, Math.round((MB * 1024) / FLOWS), 300);
    const view = await View.start([file]);
    try {
      const asked: string[] = [];
      page.on('request', (r) => asked.push(new URL(r.url()).pathname));
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Performance.enable');
      const started = Date.now();
      await page.goto(view.web);
      await expect(page.locator('[data-role="flow"]')).toHaveCount(FLOWS, { timeout: 60_000 });
      const listed = Date.now() - started;

      const opened = Date.now();
      await page.locator('[data-role="flow"][data-flow-id="flow00150"]').click();
      await expect(page.locator('[data-role="flow-view"] [data-role="message"]').first()).toBeVisible({ timeout: 60_000 });
      const openMs = Date.now() - opened;

      // Scrolling the list stays smooth: frame times while scrolling to the end.
      const frames: number[] = await page.evaluate(async () => {
        const list = document.querySelector('.flow-table-wrap')!;
        const times: number[] = [];
        let last = performance.now();
        for (let i = 0; i < 60; i++) {
          list.scrollTop += 200;
          await new Promise((r) => requestAnimationFrame(r));
          const now = performance.now();
          times.push(now - last);
          last = now;
        }
        return times.sort((a, b) => a - b);
      });
      const metrics = (await cdp.send('Performance.getMetrics')).metrics;
      const heap = metrics.find((m) => m.name === 'JSHeapTotalSize')!.value / 2 ** 20;
      const nodes = metrics.find((m) => m.name === 'Nodes')!.value;
      console.log(
        `large session: ${(bytes / 2 ** 20).toFixed(0)} MiB, ${FLOWS} flows: list shown in ${listed} ms, ` +
          `flow opened in ${openMs} ms, scroll frames p50 ${frames[30].toFixed(1)} ms max ${frames[59].toFixed(1)} ms, ` +
          `JS heap ${heap.toFixed(1)} MiB, ${nodes} DOM nodes`,
      );
      // The tab holds summaries and one flow, never the log: it asked for no
      // events, and for the opened flow and the one it is compared with.
      expect(heap).toBeLessThan(300);
      // (The idle live stream of a saved session carries no events.)
      expect(asked.filter((p) => p === '/api/events')).toEqual([]);
      expect(asked.filter((p) => p.startsWith('/api/flows/')).sort()).toEqual(['/api/flows/flow00148', '/api/flows/flow00150']);
      await page.screenshot({ path: 'test-results/large-session.png' });
    } finally {
      view.stop();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
