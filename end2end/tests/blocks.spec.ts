// Every block kind of the 2025–26 API, as a person reads it in the flow view:
// the mock's `todays_blocks` answer (streamed in split chunks, and whole),
// then a request that sends it back with today's settings.
import { test, expect, openUi } from './harness';

const rows = (page: import('@playwright/test').Page) => page.locator('[data-role="flow"]');
const row = (page: import('@playwright/test').Page, i: number) => rows(page).nth(i);

const model = 'claude-opus-5-5';
const first = [{ role: 'user', content: 'Write a JSONL parser' }];

for (const [scenario, stream] of [['todays_blocks', true], ['todays_blocks_json', false]] as const) {
  test(`the answer's 2026 blocks read as what they are (${scenario})`, async ({ page, tc }) => {
    await tc.send(scenario, {
      headers: { 'x-mock-stop-reason': 'refusal' },
      body: { model, stream, messages: first },
    });
    await openUi(page, tc);
    await expect(rows(page)).toHaveCount(1);
    await row(page, 0).click();
    await page.locator('[data-tab="response"]').click();
    const view = page.locator('[data-role="flow-view"] [data-role="response"]');

    await expect(view.locator('[data-block="thinking"]')).toHaveText('thinking omitted (~812 tokens)');
    await expect(view.locator('[data-block="compaction"]')).toContainText('earlier turns replaced by this summary');
    await expect(view.locator('[data-role="compaction-summary"]')).toHaveText('Earlier turns: the user asked for a JSONL parser');
    await expect(view.locator('[data-block="mcp_tool_use"]')).toContainText('MCP tool status on server git');
    await expect(view.locator('[data-block="mcp_tool_use"] pre')).toContainText('"repo"');
    await expect(view.locator('[data-block="mcp_tool_result"]')).toContainText('working tree clean on branch trunk');
    await expect(view.locator('[data-block="tool_use"]')).toContainText('server tool web_search');
    await expect(view.locator('[data-block="tool_use"] pre')).toContainText('jsonl rust');

    const search = view.locator('[data-block="web_search_tool_result"]');
    await expect(search).toHaveCount(2);
    await expect(search.first().locator('a')).toHaveText('Parsing JSON lines in Rust');
    await expect(search.first().locator('a')).toHaveAttribute('href', 'https://search.example/jsonl');
    await expect(search.nth(1).locator('[data-role="server-error"]')).toHaveText('failed: max_uses_exceeded');
    await expect(view.locator('[data-block="web_fetch_tool_result"]')).toContainText('fetched https://docs.example/jsonl');
    await expect(view.locator('[data-block="web_fetch_tool_result"] [data-block="document"]')).toContainText('The JSON Lines format');
    const bash = view.locator('[data-block="bash_code_execution_tool_result"]');
    await expect(bash).toContainText('exit code 0');
    await expect(bash.locator('[data-role="stdout"]')).toHaveText('3 lines parsed');
    await expect(bash.locator('[data-role="stderr"]')).toHaveText('warning: trailing newline');
    await expect(view.locator('[data-block="tool_search_tool_result"] [data-role="tools-found"]')).toHaveText('tools found: mcp__git__log');
    await expect(view.locator('[data-block="advisor_tool_result"]')).toContainText('Check the error path before the happy path');
    await expect(view.locator('[data-block="container_upload"]')).toHaveText('file uploaded to the container: file_upload01');
    await expect(view.locator('[data-block="fallback"]')).toHaveText(`model hand-off: ${model} declined, claude-sonnet-5-5 continues`);
    // A kind nobody knows yet still shows, as sent.
    await expect(view.locator('[data-block="hologram"]')).toContainText('a kind nobody knows yet');
    await expect(view.locator('[data-block="text"]').last()).toHaveText('The parser is ready and tested.');

    await expect(view.locator('[data-role="stop-reason"]')).toHaveText('stop: refusal (refused by a safety classifier)');
    await expect(view.locator('[data-role="stop-details"]')).toContainText('refusal · category: cyber');
    await expect(view.locator('[data-role="stop-details"]')).toContainText('This looks like a request for working malware');
    await expect(view.locator('[data-role="applied-edits"] li')).toHaveText([
      'cleared 4 tool uses, freeing 18000 tokens',
      'cleared 2 thinking turns, freeing 3500 tokens',
    ]);
    await expect(view.locator('[data-role="container"]')).toHaveText('container container_mock01, expires 2026-12-01T10:00:00Z');

    // The UI's search finds words inside the new kinds.
    await page.locator('[data-role="search"]').fill('working tree clean');
    await expect(page.locator('[data-role="search"]')).toHaveValue('working tree clean');
    await expect(page.getByText('1 matching flow', { exact: true })).toBeVisible();
    await expect(row(page, 0)).toHaveClass(/match/);
  });
}

test('a request that sends today\'s blocks back shows them, its settings, and the compaction in the diff', async ({ page, tc }) => {
  const headers = { 'x-claude-code-session-id': 'sess-today' };
  const tools = [
    { name: 'Read', input_schema: { type: 'object' } },
    { name: 'mcp__git__log', input_schema: { type: 'object' }, defer_loading: true },
  ];
  await tc.send('text', { headers, body: { model, stream: true, tools, messages: [...first, { role: 'assistant', content: 'Sure.' }, { role: 'user', content: 'And tests' }] } });
  const compacted = [
    { role: 'assistant', content: [
      { type: 'compaction', content: 'Earlier turns: the user asked for a JSONL parser' },
      { type: 'thinking', thinking: '', signature: 'c2ln' },
      { type: 'redacted_thinking', data: 'b3BhcXVl' },
      { type: 'mcp_tool_use', id: 'mcptoolu_01', name: 'status', server_name: 'git', input: { repo: '.' } },
      { type: 'mcp_tool_result', tool_use_id: 'mcptoolu_01', is_error: true, content: 'not a repository' },
    ] },
    { role: 'system', content: [{ type: 'tool_addition', tool: { type: 'tool_reference', name: 'mcp__git__log' } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_s', content: [{ type: 'tool_reference', tool_name: 'mcp__git__log' }] }] },
  ];
  await tc.send('text', { headers, body: {
    model, stream: true, tools, messages: compacted,
    thinking: { type: 'adaptive', display: 'omitted' },
    output_config: { effort: 'high' },
    context_management: { edits: [{ type: 'clear_tool_uses_20250919' }] },
  } });
  await openUi(page, tc);
  await expect(rows(page)).toHaveCount(2);
  await row(page, 1).click();
  await page.locator('[data-tab="request"]').click();
  const view = page.locator('[data-role="flow-view"]');
  await expect(view.locator('[data-role="settings"] li')).toHaveText([
    'thinking: adaptive, display omitted',
    'effort: high',
    'context management: clear_tool_uses_20250919',
  ]);
  await expect(view.locator('details.tools > summary')).toHaveText('Tools · 2 (1 deferred)');
  await expect(view.locator('[data-role="deferred"]')).toHaveCount(1);
  await expect(view.locator('[data-block="compaction"]')).toContainText('Earlier turns: the user asked for a JSONL parser');
  await expect(view.locator('[data-block="thinking"]')).toHaveText('thinking omitted');
  await expect(view.locator('[data-block="redacted_thinking"]')).toHaveText('[redacted thinking, 8 bytes]');
  await expect(view.locator('[data-block="mcp_tool_result"]')).toContainText('MCP tool error for mcptoolu_01');
  await expect(view.locator('[data-block="mcp_tool_result"]')).toContainText('not a repository');
  await expect(view.locator('[data-role="message"]').nth(1).locator('.role')).toHaveText('#1 system (mid-conversation)');
  await expect(view.locator('[data-block="tool_addition"]')).toContainText('tool_addition (as sent)');
  await expect(view.locator('[data-block="tool_reference"]')).toHaveText('tool loaded: mcp__git__log');

  await page.locator('[data-tab="changes"]').click();
  await expect(view.locator('[data-role="diff"]')).toContainText('earlier turns replaced by a compaction summary (message #0)');
});
