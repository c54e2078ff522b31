// Forward capture in the flow list: which host each call went to, what it
// was for, and how it reached the proxy, with filters by host and kind.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { test, expect, View } from './harness';

const rows = (page: import('@playwright/test').Page) => page.locator('[data-role="flow"]');
const ts = (s: number) => `2026-11-30T09:00:${String(s).padStart(2, '0')}.000000Z`;

/** One exchange with a whole (non-streamed) JSON answer. */
function call(flow: string, at: number, method: string, host: string | null, path_: string, mode: string | null, answer: object): string[] {
  const request: Record<string, unknown> = { ts: ts(at), type: 'request', flow_id: flow, method, path: path_, headers: { 'x-claude-code-session-id': 'sess-fwd' }, body: null };
  if (host) request.host = host;
  if (mode) request.mode = mode;
  return [
    request,
    { ts: ts(at), type: 'response_headers', flow_id: flow, status_code: 200, headers: { 'content-type': 'application/json' }, streaming: false },
    { ts: ts(at + 1), type: 'response', flow_id: flow, status_code: 200, body: answer },
  ].map((l) => JSON.stringify(l));
}

function forwardLog(): string[] {
  return [
    ...call('settings', 0, 'GET', 'api.anthropic.com', '/api/claude_code/settings', 'forward', {}),
    ...call('bootstrap', 1, 'GET', 'api.anthropic.com', '/api/claude_cli/bootstrap?entrypoint=cli', 'forward', {}),
    ...call('inference', 2, 'POST', 'api.anthropic.com', '/v1/messages?beta=true', 'forward',
      { type: 'message', model: 'claude-opus-5-5', content: [{ type: 'text', text: 'Hi' }], stop_reason: 'end_turn', usage: { input_tokens: 10, output_tokens: 2 } }),
    ...call('events', 3, 'POST', 'api.anthropic.com', '/api/event_logging/v2/batch', 'forward', {}),
    ...call('refresh', 4, 'POST', 'platform.claude.com', '/v1/oauth/token', 'forward', { access_token: 'sk-ant-…aaaa' }),
    JSON.stringify({ ts: ts(6), type: 'tunnel', flow_id: 'tunnel', host: 'o1.ingest.sentry.io', port: 443, bytes_up: 2400, bytes_down: 812, started: ts(5), ended: ts(6) }),
    // Another Claude Code on the same proxy, through ANTHROPIC_BASE_URL.
    ...call('reverse', 7, 'POST', 'api.anthropic.com', '/v1/messages?beta=true', 'reverse',
      { type: 'message', model: 'claude-opus-5-5', content: [{ type: 'text', text: 'Hi' }], stop_reason: 'end_turn', usage: { input_tokens: 10, output_tokens: 2 } }),
  ];
}

test('each call shows its host, its kind and its route, and filters narrow by host and kind', async ({ page }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-e2e-'));
  const file = path.join(dir, 'session_forward.jsonl');
  fs.writeFileSync(file, forwardLog().join('\n') + '\n');
  const view = await View.start([file]);
  try {
    await page.goto(view.web);
    await expect(rows(page)).toHaveCount(7);
    const cell = (flow: string, col: string) => page.locator(`[data-role="flow"][data-flow-id="${flow}"] .c-${col}`);
    await expect(cell('inference', 'host')).toHaveText('api.anthropic.com');
    await expect(cell('inference', 'kind')).toHaveText('inference');
    await expect(cell('inference', 'via')).toHaveText('proxy');
    await expect(cell('reverse', 'via')).toHaveText('base URL');
    await expect(cell('settings', 'kind')).toHaveText('settings');
    await expect(cell('events', 'kind')).toHaveText('telemetry');
    await expect(cell('refresh', 'kind')).toHaveText('sign-in');
    await expect(cell('refresh', 'host')).toHaveText('platform.claude.com');
    // A tunnel: seen, not read.
    await expect(cell('tunnel', 'method')).toHaveText('CONNECT');
    await expect(cell('tunnel', 'kind')).toHaveText('telemetry');
    await expect(cell('tunnel', 'path')).toHaveText('o1.ingest.sentry.io:443 · tunnelled, 2.4 kB up, 812 B down');

    await page.locator('[data-role="filter-kind"]').selectOption('telemetry');
    await expect(rows(page)).toHaveCount(2);
    await page.locator('[data-role="filter-kind"]').selectOption('');
    await page.locator('[data-role="filter-host"]').selectOption('platform.claude.com');
    await expect(rows(page)).toHaveCount(1);
    await expect(rows(page).first()).toHaveAttribute('data-flow-id', 'refresh');
    await page.locator('[data-role="filter-host"]').selectOption('');
    await expect(rows(page)).toHaveCount(7);
    await page.screenshot({ path: 'test-results/forward.png', fullPage: true });
  } finally {
    view.stop();
  }
});
