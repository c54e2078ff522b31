import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { test, expect, openUi, TraceClaude, View, makeSessionLog } from './harness';

const rows = (page: import('@playwright/test').Page) => page.locator('[data-role="flow"]');
const row = (page: import('@playwright/test').Page, i: number) => rows(page).nth(i);

test('the flow list shows each exchange live, grouped by session and agent', async ({ page, tc }) => {
  await tc.send('text', { headers: { 'x-claude-code-session-id': 'sess-A' } });
  await tc.send('thinking_tool', { headers: { 'x-claude-code-session-id': 'sess-A', 'x-claude-code-agent-id': 'agent-7' } });
  await tc.send('json', { headers: { 'x-claude-code-session-id': 'sess-B' } });
  await openUi(page, tc);
  await expect(rows(page)).toHaveCount(3);
  const groups = page.locator('[data-role="flow-group"]');
  await expect(groups).toHaveCount(3);
  await expect(groups.nth(0)).toHaveAttribute('data-session-id', 'sess-A');
  await expect(groups.nth(0)).toContainText('main agent · 1 flow');
  await expect(groups.nth(1)).toHaveAttribute('data-agent-id', 'agent-7');
  await expect(groups.nth(1)).toContainText('subagent agent-7');
  await expect(groups.nth(2)).toHaveAttribute('data-session-id', 'sess-B');

  const streamed = groups.nth(0).locator('[data-role="flow"]');
  await expect(streamed).toHaveAttribute('data-state', 'complete');
  await expect(streamed).toHaveAttribute('data-streaming', 'streamed');
  await expect(streamed.locator('.c-model')).toHaveText('claude-sonnet-4-5');
  await expect(streamed.locator('.c-status')).toHaveText('200');
  await expect(streamed.locator('.c-stop')).toHaveText('end_turn');
  await expect(streamed.locator('.c-cost')).toHaveText(/^\$0\.\d{4}$/);
  await expect(groups.nth(2).locator('[data-role="flow"]')).toHaveAttribute('data-streaming', 'whole');

  // A new exchange appears while the page is open, in its session's group.
  await tc.send('overloaded', { headers: { 'x-claude-code-session-id': 'sess-B' } });
  await expect(rows(page)).toHaveCount(4);
  await expect(groups.nth(2).locator('[data-role="flow"]')).toHaveCount(2);
  await expect(groups.nth(2).locator('[data-role="flow"][data-state="failed"] .c-status')).toHaveText('529');

  // Totals add up the session.
  await expect(page.locator('[data-role="totals-headline"]')).toContainText('4 requests');

  // Filters by Claude Code session and by agent.
  await page.locator('[data-role="filter-session"]').selectOption('sess-A');
  await expect(rows(page)).toHaveCount(2);
  await page.locator('[data-role="filter-agent"]').selectOption('main');
  await expect(rows(page)).toHaveCount(1);
  await page.locator('[data-role="filter-agent"]').selectOption('agent:agent-7');
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first().locator('..')).toHaveAttribute('data-agent-id', 'agent-7');
  await page.locator('[data-role="filter-session"]').selectOption('');
  await page.locator('[data-role="filter-agent"]').selectOption('');
  await expect(rows(page)).toHaveCount(4);

  // Sorting by a column reorders within groups and says so.
  const duration = page.locator('th.c-duration');
  await duration.locator('button').click();
  await expect(duration).toHaveAttribute('aria-sort', 'ascending');
  await duration.locator('button').click();
  await expect(duration).toHaveAttribute('aria-sort', 'descending');
  await page.screenshot({ path: 'test-results/flows.png' });
});

test('an opened flow shows the conversation, the reassembled answer, its timing and what changed', async ({ page, tc }) => {
  const headers = { 'x-claude-code-session-id': 'sess-C' };
  const first = [{ role: 'user', content: 'List the files' }];
  await tc.send('thinking_tool', { headers, body: { model: 'claude-sonnet-4-5', stream: true, system: 'You are terse.', tools: [{ name: 'Bash', input_schema: { type: 'object' } }], messages: first } });
  const second = [
    ...first,
    { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'ls' } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'README.md\nsrc' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } }] },
  ];
  await tc.send('text', { headers, body: { model: 'claude-sonnet-4-5', stream: true, system: 'You are terse.', tools: [{ name: 'Bash', input_schema: { type: 'object' } }], messages: second } });
  await openUi(page, tc);
  await expect(rows(page)).toHaveCount(2);

  await row(page, 0).click();
  const view = page.locator('[data-role="flow-view"]');
  await expect(view).toHaveAttribute('data-flow-id', (await row(page, 0).getAttribute('data-flow-id'))!);
  await page.locator('[data-tab="response"]').click();
  await expect(view.locator('[data-block="thinking"]')).toBeVisible();
  await expect(view.locator('[data-block="tool_use"]')).toContainText('tool call Bash');
  await expect(view.locator('[data-block="tool_use"] pre')).toContainText('"command"');
  await expect(view.locator('[data-role="stop-reason"]')).toHaveText('stop: tool_use');
  await page.locator('[data-tab="changes"]').click();
  await expect(view.locator('[data-role="diff"]')).toContainText('nothing to compare');

  await row(page, 1).click();
  await page.locator('[data-tab="request"]').click();
  await expect(view.locator('[data-role="message"]')).toHaveCount(3);
  await expect(view.locator('[data-block="tool_result"]')).toContainText('README.md');
  await expect(view.locator('[data-block="image"]')).toHaveText('[image image/png, 8 B]');
  await expect(view.locator('[data-role="system"]')).toContainText('System prompt · 1 blocks');
  await page.locator('[data-tab="response"]').click();
  await expect(view.locator('[data-role="response"]')).toContainText('Hello');
  await page.locator('[data-tab="timing"]').click();
  await expect(view.locator('[data-mark="first token"] .at')).toHaveText(/\d+ ms/);
  await expect(view.locator('.raw-event')).toHaveCount(2 + 8 + 1);
  await page.locator('[data-tab="changes"]').click();
  await expect(view.locator('[data-change="grow"]')).toHaveText('Messages: 1 → 3; 2 appended, nothing earlier changed');
  await expect(view.locator('[data-role="added-message"]')).toHaveCount(2);
  await page.screenshot({ path: 'test-results/flow-view.png' });
});

test('search finds the flows whose bodies contain the text', async ({ page, tc }) => {
  await tc.send('text', { body: { model: 'claude-sonnet-4-5', stream: true, messages: [{ role: 'user', content: 'tell me about the Zebra crossing' }] } });
  await tc.send('text', { body: { model: 'claude-sonnet-4-5', stream: true, messages: [{ role: 'user', content: 'tell me about lions' }] } });
  await tc.send('text', { headers: { 'x-mock-text': 'a striped zebra' } });
  await openUi(page, tc);
  await expect(rows(page)).toHaveCount(3);
  await page.locator('[data-role="search"]').fill('zebra');
  await expect(page.locator('[data-role="flow"].match')).toHaveCount(2);
  await expect(page.locator('[data-role="match-count"]')).toHaveText('2 matching flows');
  await page.locator('[data-role="only-matches"]').check();
  await expect(rows(page)).toHaveCount(2);
  await page.locator('[data-role="search"]').fill('');
  await expect(rows(page)).toHaveCount(3);
  await page.locator('[data-role="filter-status"]').selectOption('failed');
  await expect(rows(page)).toHaveCount(0);
});

test('the session picker opens an older session of the sessions directory', async ({ page, mock }) => {
  const sessionsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-e2e-'));
  makeSessionLog(path.join(sessionsDir, 'session_20200101_000000.jsonl'), 7, 4, 3);
  const tc = await TraceClaude.start(mock.url, { sessionsDir });
  try {
    await tc.send('text');
    await openUi(page, tc);
    await expect(rows(page)).toHaveCount(1);
    const picker = page.locator('[data-role="session-picker"]');
    await expect(picker.locator('option')).toHaveCount(2);
    await picker.selectOption('session_20200101_000000');
    await expect(page).toHaveURL(/\?session=session_20200101_000000$/);
    await expect(page.getByRole('status')).toHaveText('saved session');
    await expect(rows(page)).toHaveCount(7);
    // Its timeline loads when asked for.
    await page.locator('[data-pane="timeline"]').click();
    await expect(page.locator('[data-pane="timeline"]')).toHaveText(`Timeline · ${7 * 11} events`);
  } finally {
    await tc.stop();
  }
});

test('view opens a log cut short with everything before the cut', async ({ page }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-e2e-'));
  const file = path.join(dir, 'session_cut.jsonl');
  makeSessionLog(file, 5, 4, 3);
  fs.appendFileSync(file, '{"ts":"2026-03-29T11:30:00.000000Z","type":"request","flow_id":"cut","method":"PO');
  const view = await View.start([file]);
  try {
    await page.goto(view.web);
    await expect(page.getByRole('status')).toHaveText('saved session');
    await expect(rows(page)).toHaveCount(5);
    await row(page, 4).click();
    await expect(page.locator('[data-role="flow-view"] [data-role="message"]').first()).toBeVisible();
  } finally {
    view.stop();
  }
});

test('Claude Code running a tool: the flow view shows the call and its result', async ({ page, tc }) => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-e2e-home-'));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-e2e-work-'));
  const bin = path.resolve(__dirname, '..', 'node_modules', '.bin');
  const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn(path.join(bin, 'claude'), ['--allowedTools', 'Bash', '-p', 'TRACE_E2E: run the marker command and tell me what it printed'], {
      cwd: work,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, HOME: home, ANTHROPIC_API_KEY: 'sk-ant-api03-E2ECLAUDEKEY-wxyz', DISABLE_AUTOUPDATER: '1', ANTHROPIC_BASE_URL: tc.proxy },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (c) => (out += c));
    child.stderr!.on('data', (c) => (out += c));
    child.on('exit', (code) => resolve({ code, out }));
  });
  expect(result.code, result.out).toBe(0);
  expect(result.out).toContain('trace-claude-e2e-marker');
  await openUi(page, tc);
  // The call that asked for the tool, and the call that carried its result.
  const asked = page.locator('[data-role="flow"]', { has: page.locator('.c-stop', { hasText: 'tool_use' }) });
  await expect(asked).toHaveCount(1);
  await asked.click();
  await page.locator('[data-tab="response"]').click();
  const view = page.locator('[data-role="flow-view"]');
  await expect(view.locator('[data-block="tool_use"]')).toContainText('tool call Bash');
  const answered = page.locator('[data-role="flow"]', { has: page.locator('.c-stop', { hasText: 'end_turn' }) }).last();
  await answered.click();
  await page.locator('[data-tab="request"]').click();
  await expect(view.locator('[data-block="tool_result"]').last()).toContainText('trace-claude-e2e-marker');
  await page.locator('[data-tab="changes"]').click();
  await expect(view.locator('[data-role="added-message"]')).toHaveCount(2);
  await page.screenshot({ path: 'test-results/claude-code-flow.png', fullPage: true });
  spawnSync('rm', ['-rf', home, work]);
});

test('a flow copies as cURL, with the key as the caller own unless asked, and its answer as text', async ({ page, context, mock }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  // Recorded with --no-redact: the page holds the real key, and the copy
  // must still leave it out unless asked.
  const tc = await TraceClaude.start(mock.url, { extra: ['--no-redact'] });
  try {
  await tc.send('text', { headers: { 'x-mock-text': 'Copied answer' } });
  await openUi(page, tc);
  await row(page, 0).click();
  const clip = () => page.evaluate(() => navigator.clipboard.readText());
  await page.locator('[data-action="copy-curl"]').click();
  await expect(page.locator('[data-role="copied"]')).toHaveText('cURL copied');
  const curl = await clip();
  expect(curl).toContain(`curl '${tc.upstream}/v1/messages?beta=true'`);
  expect(curl).toContain('-H "x-api-key: $ANTHROPIC_API_KEY"');
  expect(curl).toContain(`--data-raw '{"model":"claude-sonnet-4-5"`);
  expect(curl).not.toContain('E2ESECRETKEYVALUE');
  await page.locator('[data-action="copy-curl-key"]').click();
  expect(await clip()).toContain("-H 'x-api-key: sk-ant-api03-E2ESECRETKEYVALUE-abcd'");
  await page.locator('[data-action="copy-text"]').click();
  expect(await clip()).toBe('Copied answer');
  } finally {
    await tc.stop();
  }
});
