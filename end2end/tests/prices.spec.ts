// A model the price table does not know is named, not silently left out:
// in the flow list, in the totals headline and in the panel under it.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { test, expect, View } from './harness';

const rows = (page: import('@playwright/test').Page) => page.locator('[data-role="flow"]');

/** One whole (non-streamed) Messages call of `model` at `ts`. */
function call(flow: string, ts: string, model: string, usage: object): string[] {
  return [
    { ts, type: 'request', flow_id: flow, method: 'POST', path: '/v1/messages', headers: {}, body: { model, messages: [{ role: 'user', content: 'hi' }] } },
    { ts, type: 'response', flow_id: flow, status_code: 200, headers: { 'content-type': 'application/json' },
      body: { id: `msg_${flow}`, type: 'message', role: 'assistant', model, content: [{ type: 'text', text: 'hello' }], stop_reason: 'end_turn', usage } },
  ].map((l) => JSON.stringify(l));
}

test('a model without a price is named in the list, the headline and the totals', async ({ page }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-e2e-'));
  const file = path.join(dir, 'session_prices.jsonl');
  // Opus 5.5: 1,000 in at $4 + 100 out at $20 per million = $0.006.
  const lines = [
    ...call('priced', '2026-12-01T10:00:00.000000Z', 'claude-opus-5-5', { input_tokens: 1000, output_tokens: 100 }),
    ...call('unpriced', '2026-12-01T10:00:05.000000Z', 'claude-fable-5-2', { input_tokens: 1000, output_tokens: 100 }),
  ];
  fs.writeFileSync(file, lines.join('\n') + '\n');
  const view = await View.start([file]);
  try {
    await page.goto(view.web);
    await expect(rows(page)).toHaveCount(2);
    const priced = page.locator('[data-role="flow"][data-flow-id="priced"] td.c-cost');
    await expect(priced).toHaveText('$0.0060');
    const unpriced = page.locator('[data-role="flow"][data-flow-id="unpriced"] td.c-cost');
    await expect(unpriced).toHaveText('unknown price');
    await expect(unpriced).toHaveAttribute('title', 'the price table has no row for claude-fable-5-2');

    const headline = page.locator('[data-role="totals-headline"]');
    await expect(headline).toContainText('unknown price (claude-fable-5-2)');
    await headline.click();
    const panel = page.locator('[data-role="unpriced-models"]');
    await expect(panel).toContainText('Unknown price for 1 of 2 requests:');
    await expect(panel.locator('li[data-model="claude-fable-5-2"]')).toHaveText('claude-fable-5-2: the price table has no row for claude-fable-5-2');
  } finally {
    view.stop();
  }
});
