// The log cannot be written (a full disk, here a file size limit): the page
// says so in a banner, and the banner goes once writing works again.
import { test, expect, openUi, TraceClaude } from './harness';
import { spawn, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as readline from 'readline';

const binary = path.resolve(__dirname, '..', '..', 'target', 'release', 'trace_claude');

/** trace_claude under `prlimit --fsize`: writes past `bytes` fail with EFBIG. */
async function startWithFileSizeLimit(upstream: string, bytes: number): Promise<TraceClaude> {
  const sessionsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-e2e-health-'));
  const child = spawn(
    'prlimit',
    [`--fsize=${bytes}:unlimited`, binary, 'listen', '--port', '0', '--web-port', '0', '--sessions-dir', sessionsDir, '--upstream', upstream],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines: string[] = await new Promise((resolve, reject) => {
    const seen: string[] = [];
    const timer = setTimeout(() => reject(new Error(`no banner in 30 s: ${seen.join('\n')}`)), 30_000);
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      seen.push(line);
      if (line.startsWith('Press Ctrl+C')) {
        clearTimeout(timer);
        resolve(seen);
      }
    });
    child.on('exit', (code) => reject(new Error(`trace_claude exited (${code}): ${seen.join('\n')}`)));
  });
  const port = (prefix: string) => Number(lines.find((l) => l.startsWith(prefix))!.split(':').pop());
  const logPath = lines.find((l) => l.startsWith('✓ Logs: '))!.replace('✓ Logs: ', '');
  return new TraceClaude(child, port('✓ Proxy listening on'), port('✓ Web UI at'), logPath, sessionsDir);
}

test('a log that cannot be written shows a banner until writing works again', async ({ page, mock }) => {
  const tc = await startWithFileSizeLimit(mock.url, 32 * 1024);
  try {
    await openUi(page, tc);
    const banner = page.locator('[data-log-health="failing"]');
    await expect(banner).toHaveCount(0);

    // Each flow logs a few KB: these go past the limit. Forwarding goes on.
    for (let i = 0; i < 30; i++) {
      expect(await tc.send('text')).toContain('message_stop');
    }
    await expect(banner).toBeVisible();
    await expect(banner).toHaveAttribute('role', 'alert');
    await expect(banner).toContainText('The session log cannot be written (File too large');
    await page.screenshot({ path: 'test-results/log-health.png' });

    // Room again: the next write succeeds and the banner goes.
    execFileSync('prlimit', ['--pid', String(tc.child.pid), '--fsize=unlimited:unlimited']);
    await tc.send('text');
    await expect(banner).toHaveCount(0);
  } finally {
    await tc.stop();
  }
});

test('spans that cannot reach the collector show in the same banner, the proxy unaffected', async ({ page, mock }) => {
  // Nothing listens on port 1: every export is refused at once.
  const tc = await TraceClaude.start(mock.url, { extra: ['--otlp-endpoint', 'http://127.0.0.1:1'] });
  try {
    await openUi(page, tc);
    const banner = page.locator('[data-log-health="failing"]');
    await expect(banner).toHaveCount(0);
    expect(await tc.send('text')).toContain('message_stop');
    await expect(banner).toBeVisible({ timeout: 15_000 });
    await expect(banner).toContainText('Spans cannot be sent to http://127.0.0.1:1/v1/traces');
    await expect(banner).toContainText('the log has every call');
    await page.screenshot({ path: 'test-results/export-health.png' });
    // The call itself is in the flow list as usual.
    await expect(page.locator('[data-role="flow"]')).toHaveCount(1);
  } finally {
    await tc.stop();
  }
});
