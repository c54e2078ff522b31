// Starts the real binaries the UI tests need and sends traffic through the proxy.
import { test as base, expect, Page } from '@playwright/test';
import { spawn, spawnSync, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import * as readline from 'readline';

const repo = path.resolve(__dirname, '..', '..');
const release = path.join(repo, 'target', 'release');

export function binary(name: string): string {
  const file = path.join(release, name);
  if (!fs.existsSync(file)) {
    throw new Error(`${file} is missing: run ./scripts/test (it builds it)`);
  }
  return file;
}

/** Resolves with the first stdout line matching `pattern` (and the lines so far). */
function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    const timer = setTimeout(() => reject(new Error(`${what} printed no ${pattern} in 30 s: ${lines.join('\n')}`)), 30_000);
    const rl = readline.createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      lines.push(line);
      if (pattern.test(line)) {
        clearTimeout(timer);
        resolve(lines);
      }
    });
    child.on('exit', (code) => reject(new Error(`${what} exited (${code}) early: ${lines.join('\n')}`)));
  });
}

/**
 * Set while a test stops a server on purpose: the pages still open on it
 * then see their event streams cut (`ERR_INCOMPLETE_CHUNKED_ENCODING`) and
 * their reconnections refused, which is the stop, not a fault of the page.
 */
let serverStopped = false;
const stopErrors = /net::(ERR_INCOMPLETE_CHUNKED_ENCODING|ERR_CONNECTION_REFUSED)/;

export class Mock {
  constructor(readonly child: ChildProcess, readonly url: string) {}
  static async start(): Promise<Mock> {
    const child = spawn(binary('mock_upstream'), ['0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = await waitForLine(child, /^listening on /, 'mock_upstream');
    return new Mock(child, lines[lines.length - 1].replace('listening on ', '').trim());
  }
  stop() { this.child.kill('SIGKILL'); }
}

export class TraceClaude {
  constructor(
    readonly child: ChildProcess,
    readonly proxyPort: number,
    readonly webPort: number,
    readonly logPath: string,
    readonly sessionsDir: string,
    readonly upstream: string,
  ) {}

  static async start(upstream: string, opts: { webPort?: number; sessionsDir?: string; extra?: string[] } = {}): Promise<TraceClaude> {
    const sessionsDir = opts.sessionsDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tc-e2e-'));
    const child = spawn(
      binary('trace_claude'),
      ['listen', '--port', '0', '--web-port', String(opts.webPort ?? 0), '--sessions-dir', sessionsDir, '--upstream', upstream, ...(opts.extra ?? [])],
      // Its forward-capture token and CA go to a temporary directory, not the user's.
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TRACE_CLAUDE_STATE_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'tc-state-')) } },
    );
    const lines = await waitForLine(child, /^Press Ctrl\+C/, 'trace_claude');
    const port = (prefix: string) => Number(lines.find((l) => l.startsWith(prefix))!.split(':').pop());
    const logPath = lines.find((l) => l.startsWith('✓ Logs: '))!.replace('✓ Logs: ', '');
    return new TraceClaude(child, port('✓ Proxy listening on'), port('✓ Web UI at'), logPath, sessionsDir, upstream);
  }

  get web(): string { return `http://127.0.0.1:${this.webPort}`; }
  get proxy(): string { return `http://127.0.0.1:${this.proxyPort}`; }

  /** Sends one request through the proxy and reads the whole answer. */
  async send(scenario: string, init: { body?: unknown; headers?: Record<string, string> } = {}): Promise<string> {
    const response = await fetch(`${this.proxy}/v1/messages?beta=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-api03-E2ESECRETKEYVALUE-abcd', 'x-mock-scenario': scenario, ...init.headers },
      body: JSON.stringify(init.body ?? { model: 'claude-sonnet-4-5', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    return response.text();
  }

  logLines(): number {
    return fs.readFileSync(this.logPath, 'utf8').split('\n').filter((l) => l.length > 0).length;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    serverStopped = true;
    const exited = new Promise((resolve) => this.child.on('exit', resolve));
    this.child.kill('SIGINT');
    await exited;
  }
}

/** A raw HTTP GET with a chosen Host header (fetch may not set Host). */
export function getWithHost(port: number, pathname: string, host: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathname, headers: { host, ...headers } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
  });
}

/** Opens the UI and waits until it is hydrated and following the live stream. */
export async function openUi(page: Page, tc: TraceClaude): Promise<void> {
  await page.goto(tc.web);
  await expect(page.getByRole('status')).toHaveText('live');
}

export const cards = (page: Page) => page.locator('article[data-type]');

/**
 * Every test fails on a page error or a console error in any page it opens:
 * the app is built with `panic = "abort"`, so one panic kills it for good
 * and every later click does nothing. A test that provokes an error on
 * purpose (a proxy it stops) names what it expects with
 * `test.use({ allowedConsoleErrors: [/pattern/] })`; page errors are never allowed.
 */
type Fixtures = { tc: TraceClaude; allowedConsoleErrors: RegExp[]; pageErrors: string[] };

export const test = base.extend<Fixtures, { mock: Mock }>({
  mock: [async ({}, use) => {
    const mock = await Mock.start();
    await use(mock);
    mock.stop();
  }, { scope: 'worker' }],
  allowedConsoleErrors: [[], { option: true }],
  pageErrors: async ({}, use) => {
    const errors: string[] = [];
    await use(errors);
    expect(errors, 'the page raised errors').toEqual([]);
  },
  context: async ({ context, allowedConsoleErrors, pageErrors }, use) => {
    serverStopped = false;
    const watch = (page: Page) => {
      page.on('pageerror', (e) => pageErrors.push(`page error: ${e.stack ?? e.message}`));
      page.on('crash', () => pageErrors.push('the page crashed'));
      page.on('console', (m) => {
        if (m.type() !== 'error') return;
        const text = m.text();
        if (serverStopped && stopErrors.test(text)) return;
        if (!allowedConsoleErrors.some((r) => r.test(text))) pageErrors.push(`console error: ${text} (${m.location().url})`);
      });
    };
    context.pages().forEach(watch);
    context.on('page', watch);
    await use(context);
  },
  // A moment after the test's last step before the page closes, so that an
  // error its last click raised is still caught.
  page: async ({ page }, use) => {
    await use(page);
    if (!page.isClosed()) await page.waitForTimeout(100);
  },
  tc: async ({ mock }, use) => {
    const tc = await TraceClaude.start(mock.url);
    await use(tc);
    await tc.stop();
  },
});

export { expect };

/** `trace_claude view FILE...` on a free port. */
export class View {
  constructor(readonly child: ChildProcess, readonly webPort: number) {}
  static async start(files: string[]): Promise<View> {
    const child = spawn(binary('trace_claude'), ['view', ...files, '--web-port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = await waitForLine(child, /^Press Ctrl\+C/, 'trace_claude view');
    const port = Number(lines.find((l) => l.startsWith('✓ Web UI at'))!.split(':').pop());
    return new View(child, port);
  }
  get web(): string { return `http://127.0.0.1:${this.webPort}`; }
  stop() {
    serverStopped = true;
    this.child.kill('SIGINT');
  }
}

/** Writes a generated session log (testkit's session_gen) and returns its size. */
export function makeSessionLog(file: string, flows: number, bodyKb: number, deltas: number): number {
  const out = spawnSync(binary('make_session_log'), [file, String(flows), String(bodyKb), String(deltas)], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`make_session_log failed: ${out.stderr}`);
  return Number(out.stdout.trim());
}
