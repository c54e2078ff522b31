// Costs per agent and why the cache missed, read as a person reads them.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { test, expect, openUi, View } from './harness';

const rows = (page: import('@playwright/test').Page) => page.locator('[data-role="flow"]');
const SESSION = 'sess-agents';
const MODEL = 'claude-sonnet-4-5';

/** Log lines of one streamed call at `at` (seconds after 11:00:00). */
function call(flow: string, at: number, headers: Record<string, string>, body: object, usage: object, diagnostics?: object): string[] {
  const ts = (s: number) => `2026-03-29T11:${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}.000000Z`;
  const message: Record<string, unknown> = { model: MODEL, usage };
  if (diagnostics) message.diagnostics = diagnostics;
  return [
    { ts: ts(at), type: 'request', flow_id: flow, method: 'POST', path: '/v1/messages?beta=true', headers: { 'x-claude-code-session-id': SESSION, ...headers }, body: { model: MODEL, stream: true, ...body } },
    { ts: ts(at), type: 'response_headers', flow_id: flow, status_code: 200, headers: { 'content-type': 'text/event-stream' }, streaming: true },
    { ts: ts(at), type: 'sse', flow_id: flow, event: 'message_start', data: { type: 'message_start', message } },
    { ts: ts(at + 1), type: 'sse', flow_id: flow, event: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 10 } } },
    { ts: ts(at + 1), type: 'stream_end', flow_id: flow },
  ].map((l) => JSON.stringify(l));
}

const tools = [{ name: 'Bash', input_schema: { type: 'object' } }];
const system = (text: string) => [{ type: 'text', text, cache_control: { type: 'ephemeral' } }];
const marked = (text: string) => ({ role: 'user', content: [{ type: 'text', text, cache_control: { type: 'ephemeral' } }] });

/**
 * The main agent calls twice, its system prompt changed in between; it
 * started subagent agent-a, which started agent-b. Costs at Sonnet 4.5's
 * rates ($3 in, $3.75 per 5-minute cache write, $15 out, per million):
 * main 3 in + 5,000 written + 10 out = $0.018909, then 3 in + 5,200 written
 * + 10 out = $0.019659, together $0.0386; agent-a 5 in + 2,000 written + 10
 * out = $0.007665; agent-b 3 in + 1,000 written + 10 out = $0.003909; the two
 * subagents 3,028 tokens, $0.011574.
 */
function agentsLog(): string[] {
  return [
    ...call('main-1', 0, {}, { tools, system: system('You are Claude Code.'), messages: [marked('Fix the bug')] },
      { input_tokens: 3, cache_creation_input_tokens: 5000, cache_read_input_tokens: 0 }),
    ...call('sub-a-1', 5, { 'x-claude-code-agent-id': 'agent-a' }, { tools, system: system('You explore.'), messages: [marked('Find the file')] },
      { input_tokens: 5, cache_creation_input_tokens: 2000, cache_read_input_tokens: 0 }),
    ...call('sub-b-1', 6, { 'x-claude-code-agent-id': 'agent-b', 'x-claude-code-parent-agent-id': 'agent-a' }, { tools, system: system('You read.'), messages: [marked('Read it')] },
      { input_tokens: 3, cache_creation_input_tokens: 1000, cache_read_input_tokens: 0 }),
    ...call('main-2', 30, {}, {
      tools, system: system('You are Claude Code, today.'),
      messages: [{ role: 'user', content: 'Fix the bug' }, { role: 'assistant', content: 'On it.' }, marked('Go on')],
    }, { input_tokens: 3, cache_creation_input_tokens: 5200, cache_read_input_tokens: 0 },
    { cache_miss_reason: { type: 'system_changed', cache_missed_input_tokens: 5000 } }),
  ];
}

test('the totals show each agent as a tree, and a click shows only its calls', async ({ page }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-e2e-'));
  const file = path.join(dir, 'session_agents.jsonl');
  fs.writeFileSync(file, agentsLog().join('\n') + '\n');
  const view = await View.start([file]);
  try {
    await page.goto(view.web);
    await expect(page.getByRole('status')).toHaveText('saved session');
    await expect(rows(page)).toHaveCount(4);

    // At a glance, closed: what the subagents used.
    const headline = page.locator('[data-role="totals-headline"]');
    await expect(headline).toContainText('4 requests');
    await expect(headline).toContainText('2 subagents: 3,028 tokens, $0.0116');

    await headline.click();
    const tree = page.locator('[data-role="agent-totals"] [data-role="agent-row"]');
    await expect(tree).toHaveCount(4);
    await expect(tree.nth(0)).toHaveAttribute('data-kind', 'session');
    await expect(tree.nth(0).locator('th')).toHaveText(/Session sess-age/);
    await expect(tree.nth(1).locator('th')).toHaveText('main agent');
    await expect(tree.nth(1).locator('[data-col="requests"]')).toHaveText('2');
    await expect(tree.nth(1).locator('[data-col="cost"]')).toHaveText('$0.0386');
    await expect(tree.nth(2).locator('th')).toHaveText('subagent agent-a');
    await expect(tree.nth(2)).toHaveAttribute('data-depth', '2');
    await expect(tree.nth(2).locator('[data-col="cache-write"]')).toHaveText('2,000');
    await expect(tree.nth(2).locator('[data-col="cost"]')).toHaveText('$0.0077');
    // agent-b was started by agent-a: one level deeper, and it says so.
    await expect(tree.nth(3).locator('th')).toHaveText('subagent agent-b');
    await expect(tree.nth(3)).toHaveAttribute('data-depth', '3');
    await expect(tree.nth(3).locator('button')).toHaveAttribute('title', 'agent-b, started by agent-a');
    await expect(tree.nth(3).locator('[data-col="tokens"]')).toHaveText('1,013');
    await expect(tree.nth(3).locator('[data-col="cost"]')).toHaveText('$0.0039');

    // A click narrows the flow list to that agent; the filter says so; a
    // second click shows everything again.
    await tree.nth(3).locator('button').click();
    await expect(rows(page)).toHaveCount(1);
    await expect(rows(page).first()).toHaveAttribute('data-flow-id', 'sub-b-1');
    await expect(page.locator('[data-role="filter-agent"]')).toHaveValue('agent:agent-b');
    await expect(tree.nth(3)).toHaveClass(/selected/);
    await tree.nth(1).locator('button').click();
    await expect(rows(page)).toHaveCount(2);
    await tree.nth(1).locator('button').click();
    await expect(rows(page)).toHaveCount(4);
    await page.screenshot({ path: 'test-results/agents.png' });
  } finally {
    view.stop();
  }
});

test('a call that missed the cache is marked in the list and explained when opened', async ({ page }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-e2e-'));
  const file = path.join(dir, 'session_misses.jsonl');
  fs.writeFileSync(file, agentsLog().join('\n') + '\n');
  const view = await View.start([file]);
  try {
    await page.goto(view.web);
    await expect(rows(page)).toHaveCount(4);
    // Every agent's first call writes: marked "first"; the main agent's
    // second call read nothing of the 5,000 tokens the first cached.
    const miss = page.locator('[data-role="flow"][data-flow-id="main-2"] [data-role="cache-miss"]');
    await expect(miss).toHaveText('miss');
    await expect(miss).toHaveAttribute('title', /5000 tokens the previous call cached were not read/);
    await expect(page.locator('[data-role="flow"][data-flow-id="sub-a-1"] [data-role="cache-miss"]')).toHaveText('first');

    // Opened: why, from both requests, and what the API itself said.
    await page.locator('[data-role="flow"][data-flow-id="main-2"]').click();
    const note = page.locator('[data-role="flow-view"] [data-role="cache-miss-note"]').first();
    await expect(note.locator('[data-source="ours"]')).toContainText('the system prompt changed at character 19');
    await expect(note.locator('[data-source="api"]')).toHaveText(
      'The API says: the system prompt changed (about 5000 tokens not read from the cache).');
    // The Context diff says it too, beside the change itself.
    await page.locator('[data-tab="changes"]').click();
    const diff = page.locator('[data-role="diff"]');
    await expect(diff.locator('[data-role="cache-miss-note"]')).toContainText('the system prompt changed at character 19');
    await expect(diff.locator('[data-change="system"]')).toContainText('first difference at character 19');

    // A subagent's first call: nothing of its own was cached yet.
    await page.locator('[data-role="flow"][data-flow-id="sub-a-1"]').click();
    await expect(page.locator('[data-role="flow-view"] [data-role="cache-miss-note"]').first())
      .toContainText('first call of this agent');
  } finally {
    view.stop();
  }
});

test('live subagents join the tree under the agent that started them', async ({ page, tc }) => {
  const headers = { 'x-claude-code-session-id': 'sess-live' };
  await tc.send('text', { headers });
  await openUi(page, tc);
  await tc.send('json', { headers: { ...headers, 'x-claude-code-agent-id': 'agent-x' } });
  await tc.send('text', { headers: { ...headers, 'x-claude-code-agent-id': 'agent-y', 'x-claude-code-parent-agent-id': 'agent-x' } });
  await expect(rows(page)).toHaveCount(3);
  await expect(page.locator('[data-role="totals-headline"]')).toContainText('2 subagents');
  await page.locator('[data-role="totals-headline"]').click();
  const y = page.locator('[data-role="agent-row"][data-agent-id="agent-y"]');
  await expect(y).toHaveAttribute('data-depth', '3');
  await expect(y.locator('[data-col="requests"]')).toHaveText('1');
});
