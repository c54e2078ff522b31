// `trace_claude export --har` and the HAR download, made by the real binary
// from real traffic, validated against the HAR 1.2 schema (har-validator),
// and stricter than it: every field not in HAR 1.2 must be a custom one,
// whose name starts with an underscore.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { test, expect, binary, TraceClaude } from './harness';

// Neither package ships types.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const validator = require('har-validator');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const schemas: Record<string, any> = require('har-schema');

/** Rejects with the schema's complaints, readable, when `har` is not HAR 1.2. */
async function validate(har: unknown): Promise<void> {
  try {
    await validator.har(har);
  } catch (e: any) {
    throw new Error(`not valid HAR 1.2: ${JSON.stringify(e.errors ?? e, null, 1)}`);
  }
}

/** Walks `value` as the schema `name` describes it; returns the fields HAR 1.2 does not have. */
function unknownFields(name: string, value: any, at: string): string[] {
  const schema = schemas[name];
  if (!schema?.properties || typeof value !== 'object' || value === null) return [];
  const found: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    if (key.startsWith('_')) continue;
    const property = schema.properties[key];
    if (!property) {
      found.push(`${at}.${key}`);
      continue;
    }
    const ref = property.$ref ?? property.items?.$ref;
    if (!ref) continue;
    const sub = ref.replace(/\.json#$/, '');
    const items = Array.isArray(child) ? child : [child];
    items.forEach((item, i) => found.push(...unknownFields(sub, item, Array.isArray(child) ? `${at}.${key}[${i}]` : `${at}.${key}`)));
  }
  return found;
}

async function expectValidHar(har: any, entries: number): Promise<void> {
  await validate(har);
  expect(unknownFields('har', har, 'har')).toEqual([]);
  expect(har.log.entries).toHaveLength(entries);
  for (const e of har.log.entries) {
    const t = e.timings;
    for (const phase of ['send', 'wait', 'receive']) expect(t[phase]).toBeGreaterThanOrEqual(0);
    expect(Math.abs(t.send + t.wait + t.receive - e.time)).toBeLessThan(0.01);
    expect(Number.isNaN(Date.parse(e.startedDateTime))).toBe(false);
  }
}

function exportHar(files: string[], flags: string[] = []): any {
  const out = spawnSync(binary('trace_claude'), ['export', '--har', ...flags, ...files], { encoding: 'utf8', maxBuffer: 64 << 20 });
  expect(out.stderr).toBe('');
  expect(out.status).toBe(0);
  return JSON.parse(out.stdout);
}

/** Waits until `n` flows of the log have ended. */
async function flowsEnded(tc: TraceClaude, n: number): Promise<void> {
  await expect.poll(() => {
    const ended = new Set<string>();
    for (const line of fs.readFileSync(tc.logPath, 'utf8').split('\n')) {
      if (!line) continue;
      const e = JSON.parse(line);
      if (['stream_end', 'response', 'error'].includes(e.type)) ended.add(e.flow_id);
    }
    return ended.size;
  }).toBe(n);
}

test('HAR exports of every kind of flow are valid HAR 1.2', async ({ tc }) => {
  await tc.send('text');
  await tc.send('thinking_tool');
  await tc.send('json', { headers: { 'x-mock-encoding': 'gzip' } });
  await tc.send('overloaded');
  await tc.send('midstream_error');
  // A request body that is not text: exported base64.
  await fetch(`${tc.proxy}/v1/messages?beta=true`, {
    method: 'POST',
    headers: { 'x-mock-scenario': 'json', 'content-type': 'application/octet-stream' },
    body: new Uint8Array([0xff, 0x00, 0xfe, 0x80]),
  }).then((r) => r.arrayBuffer());
  await flowsEnded(tc, 6);
  // A request nothing answered: the proxy's own 502.
  const dead = await TraceClaude.start('http://127.0.0.1:1', { sessionsDir: fs.mkdtempSync(path.join(os.tmpdir(), 'tc-har-')) });
  try {
    await dead.send('text');
    await flowsEnded(dead, 1);

    const har = exportHar([tc.logPath, dead.logPath]);
    await expectValidHar(har, 7);
    const [text, , gzip, overloaded, , binaryBody, failed] = har.log.entries;
    expect(text.response.content.text).toContain('event: content_block_delta\ndata: ');
    expect(text._sse.length).toBeGreaterThan(0);
    expect(gzip.response.content.compression).toBeGreaterThan(0);
    expect(overloaded.response.status).toBe(529);
    expect(binaryBody.request.postData).toEqual({ mimeType: 'application/octet-stream', params: [], text: '/wD+gA==', _encoding: 'base64' });
    expect(failed.response.status).toBe(502);
    expect(failed._error.stage).toBe('upstream');

    await expectValidHar(exportHar([tc.logPath], ['--redact-bodies']), 6);

    // The web UI's download is the same HAR.
    const download = await fetch(`${tc.web}/api/export/har`);
    expect(download.headers.get('content-disposition')).toBe(`attachment; filename="${path.basename(tc.logPath, '.jsonl')}.har"`);
    await expectValidHar(await download.json(), 6);
  } finally {
    await dead.stop();
  }
});

test('the validator catches what is not HAR', async () => {
  // The checks above must be able to fail: a HAR missing a required field,
  // and one with a field HAR 1.2 does not have, are both refused.
  const har = exportHarOf();
  await expectValidHar(har, 1);
  const noCache = structuredClone(har);
  delete noCache.log.entries[0].cache;
  await expect(validate(noCache)).rejects.toThrow(/cache/);
  const extra = structuredClone(har);
  extra.log.entries[0].response.content.sse = [];
  expect(unknownFields('har', extra, 'har')).toEqual(['har.log.entries[0].response.content.sse']);
});

/** The HAR of a one-flow log written here. */
function exportHarOf(): any {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-har-'));
  const file = path.join(dir, 'one.jsonl');
  const lines = [
    { ts: '2026-03-29T11:27:07.000001Z', type: 'request', flow_id: 'f', method: 'GET', path: '/', headers: {}, body: null },
    { ts: '2026-03-29T11:27:07.100001Z', type: 'response_headers', flow_id: 'f', status_code: 200, headers: {}, streaming: false },
    { ts: '2026-03-29T11:27:07.200001Z', type: 'response', flow_id: 'f', status_code: 200, body: null },
  ];
  fs.writeFileSync(file, lines.map((l) => JSON.stringify(l) + '\n').join(''));
  return exportHar([file]);
}
