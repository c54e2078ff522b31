import { test, expect, openUi, cards, getWithHost, TraceClaude } from './harness';

test('events from before the page opened are there, and new ones appear live', async ({ page, tc }) => {
  await tc.send('text');
  await openUi(page, tc);
  // request, headers, 8 SSE events, stream end
  await expect(cards(page)).toHaveCount(11);
  const firstFlow = await cards(page).first().getAttribute('data-flow-id');

  await tc.send('thinking_tool');
  await expect(cards(page)).toHaveCount(11 + 2 + 12 + 1);
  const types = await cards(page).evaluateAll((els) => els.map((e) => e.getAttribute('data-type')));
  expect(types.slice(0, 2)).toEqual(['request', 'response_headers']);
  expect(types.slice(11, 13)).toEqual(['request', 'response_headers']);
  expect(types[types.length - 1]).toBe('stream_end');
  expect(await cards(page).nth(12).getAttribute('data-flow-id')).not.toBe(firstFlow);

  // One-line summaries say what each event is.
  await expect(cards(page).filter({ hasText: 'POST /v1/messages?beta=true claude-sonnet-4-5 1 msgs stream' })).toHaveCount(2);
  await expect(cards(page).filter({ hasText: '200 text/event-stream' })).toHaveCount(2);
  await expect(cards(page).filter({ hasText: 'content_block_delta text_delta "Hello"' })).toHaveCount(1);
  await expect(cards(page).filter({ hasText: 'content_block_start tool_use Bash' })).toHaveCount(1);
  await expect(cards(page).filter({ hasText: 'message_delta tool_use out=40' })).toHaveCount(1);
  // Badges.
  await expect(page.locator('article[data-type="request"] .badge').first()).toHaveText('REQ');
  await expect(page.locator('article[data-type="stream_end"] .badge').first()).toHaveText('END');
  // The key shows redacted, as in the log.
  await page.locator('article[data-type="request"] .card-head').first().click();
  await expect(page.locator('article[data-type="request"] pre.json').first()).toContainText('"x-api-key": "sk-ant-…abcd"');
  await expect(page.locator('body')).not.toContainText('E2ESECRETKEYVALUE');
  await page.screenshot({ path: 'test-results/timeline.png' });
});

test('type filters hide and show cards', async ({ page, tc }) => {
  await tc.send('text');
  await tc.send('json');
  await openUi(page, tc);
  await expect(cards(page)).toHaveCount(11 + 3);
  const sse = page.getByRole('button', { name: 'SSE', exact: true });
  await expect(sse).toHaveAttribute('aria-pressed', 'true');
  await sse.click();
  await expect(sse).toHaveAttribute('aria-pressed', 'false');
  await expect(page.locator('article[data-type="sse"]')).toHaveCount(0);
  await expect(cards(page)).toHaveCount(6);
  await expect(page.locator('[data-role="counts"]')).toHaveText('6 of 14 events');
  for (const name of ['REQ', 'HDR', 'RES', 'END']) {
    await page.getByRole('button', { name, exact: true }).click();
  }
  await expect(cards(page)).toHaveCount(0);
  await page.getByRole('button', { name: 'RES', exact: true }).click();
  await expect(cards(page)).toHaveCount(1);
  await expect(cards(page).first()).toHaveAttribute('data-type', 'response');
  // New events respect the filters as they arrive.
  await tc.send('json');
  await expect(cards(page)).toHaveCount(2);
});

test('cards expand and collapse, one by one and all at once', async ({ page, tc }) => {
  await tc.send('text');
  await openUi(page, tc);
  await expect(cards(page)).toHaveCount(11);
  const delta = page.locator('article[data-type="sse"]').filter({ hasText: 'text_delta "Hello"' });
  await expect(delta.locator('pre.json')).toHaveCount(0);
  await delta.locator('.card-head').click();
  await expect(delta.locator('pre.json')).toContainText('"text": "Hello"');
  await expect(delta.locator('pre.json')).toContainText('"type": "sse"');
  await delta.locator('.card-head').click();
  await expect(delta.locator('pre.json')).toHaveCount(0);

  // Expand All opens every card, those rendered now and those scrolled to later.
  await page.getByRole('button', { name: 'Expand All' }).click();
  await expect(page.locator('pre.json').first()).toBeVisible();
  const rendered = await cards(page).count();
  await expect(page.locator('pre.json')).toHaveCount(rendered);
  await page.screenshot({ path: 'test-results/expanded.png' });
  await page.locator('main.timeline').evaluate((el) => (el.scrollTop = el.scrollHeight));
  const last = page.locator('article[data-type="stream_end"]');
  await expect(last).toBeInViewport();
  await expect(last.locator('pre.json')).toContainText('"type": "stream_end"');
  await page.getByRole('button', { name: 'Collapse All' }).click();
  await expect(page.locator('pre.json')).toHaveCount(0);
});

test('Clear empties the display but not the log', async ({ page, tc }) => {
  await tc.send('text');
  await openUi(page, tc);
  await expect(cards(page)).toHaveCount(11);
  await page.getByRole('button', { name: 'Clear' }).click();
  await expect(cards(page)).toHaveCount(0);
  expect(tc.logLines()).toBe(11);
  await tc.send('json');
  await expect(cards(page)).toHaveCount(3);
  await expect(cards(page).first()).toHaveAttribute('data-type', 'request');
});

test('auto-scroll follows new events; off, the view stays where the user is', async ({ page, tc }) => {
  await openUi(page, tc);
  const timeline = page.locator('main.timeline');
  const distanceFromEnd = () => timeline.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
  const autoscroll = page.getByLabel('Auto-scroll');
  await expect(autoscroll).toBeChecked();
  await tc.send('slow', { headers: { 'x-mock-count': '60', 'x-mock-interval-ms': '1' } });
  await expect(page.locator('[data-role="counts"]')).toHaveText('69 events');
  await expect.poll(distanceFromEnd).toBeLessThan(5);
  await expect(page.locator('article[data-type="stream_end"]')).toBeInViewport();

  await autoscroll.uncheck();
  await timeline.evaluate((el) => (el.scrollTop = 0));
  await tc.send('slow', { headers: { 'x-mock-count': '60', 'x-mock-interval-ms': '1' } });
  await expect(page.locator('[data-role="counts"]')).toHaveText('138 events');
  await page.waitForTimeout(300);
  expect(await timeline.evaluate((el) => el.scrollTop)).toBe(0);
  await expect(cards(page).first()).toHaveAttribute('data-seq', '1');

  await autoscroll.check();
  await expect.poll(distanceFromEnd).toBeLessThan(5);
});

test('text from the traffic is shown as text and never runs', async ({ page, tc }) => {
  const requestPayload = '<img src=x onerror="window.__xss_request=1">';
  const answerPayload = '<script>window.__xss_answer=1</script><img src=y onerror="window.__xss_answer=2">';
  await tc.send('text', {
    headers: { 'x-mock-text': answerPayload },
    body: { model: 'claude-sonnet-4-5', stream: true, messages: [{ role: 'user', content: requestPayload }] },
  });
  await openUi(page, tc);
  await expect(cards(page)).toHaveCount(10);
  const request = page.locator('article[data-type="request"]');
  await request.locator('.card-head').click();
  await expect(request.locator('pre.json')).toContainText(requestPayload.replace(/"/g, '\\"'));
  const answer = page.locator('article[data-type="sse"]').filter({ hasText: '<script>window.__xss_answer=1</script>' });
  await expect(answer).toHaveCount(1);
  await answer.locator('.card-head').click();
  await expect(answer.locator('.summary')).toContainText('text_delta "<script>window.__xss_answer=1</script><img src=y');
  await expect(answer.locator('pre.json')).toContainText('<img src=y onerror=');
  expect(await page.locator('img').count()).toBe(0);
  expect(await page.locator('main script').count()).toBe(0);
  expect(await page.evaluate(() => [(window as any).__xss_request, (window as any).__xss_answer])).toEqual([undefined, undefined]);
  await page.screenshot({ path: 'test-results/xss.png' });
});

test('foreign hosts are refused and the page forbids inline script', async ({ page, tc }) => {
  const foreign = await getWithHost(tc.webPort, '/', 'evil.example');
  expect(foreign.status).toBe(403);
  const rebound = await getWithHost(tc.webPort, '/api/events', `attacker.test:${tc.webPort}`);
  expect(rebound.status).toBe(403);
  const crossOrigin = await getWithHost(tc.webPort, '/api/events', `127.0.0.1:${tc.webPort}`, { origin: 'http://evil.example' });
  expect(crossOrigin.status).toBe(403);
  const own = await getWithHost(tc.webPort, '/', `localhost:${tc.webPort}`);
  expect(own.status).toBe(200);
  expect(own.headers['access-control-allow-origin']).toBeUndefined();
  const csp = String(own.headers['content-security-policy']);
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=_-]+' 'wasm-unsafe-eval'/);
  expect(csp).not.toContain('unsafe-inline');
  // And the page still works under it.
  await openUi(page, tc);
});

test.describe('while the proxy is down', () => {
  // The browser reports each refused reconnection of the event stream.
  test.use({ allowedConsoleErrors: [/ERR_CONNECTION_REFUSED/] });

  test('a restarted proxy: the page says so, then catches up with nothing missing or doubled', async ({ page, mock }) => {
    const first = await TraceClaude.start(mock.url);
    await first.send('text');
    await openUi(page, first);
    await expect(cards(page)).toHaveCount(11);

    await first.stop();
    await expect(page.getByRole('status')).toHaveText(/reconnecting/);
    await page.screenshot({ path: 'test-results/reconnecting.png' });

    const second = await TraceClaude.start(mock.url, { webPort: first.webPort, sessionsDir: first.sessionsDir });
    try {
      await second.send('json');
      await expect(page.getByRole('status')).toHaveText('live', { timeout: 15_000 });
      await expect(cards(page)).toHaveCount(11 + 3);
      await second.send('json');
      await expect(cards(page)).toHaveCount(11 + 6);
      await page.waitForTimeout(500);
      await expect(cards(page)).toHaveCount(11 + 6);
      const seqs = await cards(page).evaluateAll((els) => els.map((e) => e.getAttribute('data-flow-id') + '/' + e.getAttribute('data-seq')));
      expect(new Set(seqs).size).toBe(seqs.length);
    } finally {
      await second.stop();
    }
  });
});
