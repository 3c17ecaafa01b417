/**
 * @module The command line's hygiene (issue #17), on the real CLI: a closed
 * pipe ends quietly with status 0; a read command refuses a data directory
 * that does not exist and creates nothing; `alert test` sends a test alert
 * through a real SMTP server and says which channel failed.
 */

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, runCli, simulateDemo, tempDir } from '../testing/helpers.js';
import { parseMail, startSmtp } from '../testing/reports.js';

test('a pipe closed early (flowhunt query | head) ends with status 0 and nothing on stderr', async (t) => {
  const data = join(tempDir(t), 'data');
  await simulateDemo(data);
  const { code, stderr, read } = await new Promise<{ code: number | null; stderr: string; read: number }>(
    (resolve, reject) => {
      const p = spawn(
        process.execPath,
        [join(ROOT, 'bin/flowhunt.js'), 'query', '--data', data, '--limit', '20000'],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let err = '';
      let read = 0;
      p.stderr.on('data', (d) => {
        err += d;
      });
      // Like `head`: read the first chunk, then close the pipe while the command is still writing.
      p.stdout.once('data', (d: Buffer) => {
        read = d.length;
        p.stdout.destroy();
      });
      p.on('error', reject);
      p.on('close', (c) => resolve({ code: c, stderr: err, read }));
    },
  );
  assert.ok(read > 0);
  assert.equal(stderr, '');
  assert.equal(code, 0);
});

test('read commands refuse a data directory that does not exist, in one line, and create nothing', async (t) => {
  const missing = join(tempDir(t), 'no-such-dir');
  for (const args of [
    ['reports'],
    ['days'],
    ['query', 'proto tcp'],
    ['families'],
    ['--json', 'signatures'],
  ]) {
    const r = await runCli([...args, '--data', missing]);
    assert.equal(r.code, 1, args.join(' '));
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      `flowhunt: data directory ${missing} does not exist (nothing was imported or collected there; check --data or --store)\n`,
    );
    assert.equal(existsSync(missing), false, `${args.join(' ')} created the directory`);
  }
  // A command that writes flows creates it.
  await simulateDemo(missing, 0.05);
  const days = await runCli(['days', '--data', missing, '--json']);
  assert.equal(days.code, 0, days.stderr);
  assert.equal(JSON.parse(days.stdout).days.length, 1);
});

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const addr = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return typeof addr === 'object' && addr ? addr.port : 1;
}

test('alert test: one test mail through a real SMTP server; a failing webhook is named, exit 1', async (t) => {
  const smtp = await startSmtp();
  t.after(() => smtp.close());
  const dir = tempDir(t);
  const email = `  email:\n    host: 127.0.0.1\n    port: ${smtp.port}\n    tlsRejectUnauthorized: false\n    from: flowhunt <flowhunt@noc.example>\n    to: [noc@noc.example]\n`;
  const good = join(dir, 'good.yaml');
  writeFileSync(good, `alert:\n${email}`);
  const ok = await runCli(['alert', 'test', '--config', good, '--data', dir]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, 'email: sent to noc@noc.example\n');
  assert.equal(smtp.received.length, 1);
  assert.deepEqual(smtp.received[0]!.rcpt, ['noc@noc.example']);
  const mail = parseMail(smtp.received[0]!.raw);
  assert.equal(mail.subject, 'flowhunt: test alert');
  assert.equal(mail.header('x-flowhunt-event'), 'test');

  const port = await closedPort();
  const bad = join(dir, 'bad.yaml');
  writeFileSync(
    bad,
    `alert:\n${email}  webhook:\n    url: http://127.0.0.1:${port}/hook\n    timeoutSeconds: 5\n`,
  );
  const r = await runCli(['alert', 'test', '--config', bad, '--data', dir]);
  assert.equal(r.code, 1);
  const lines = r.stdout.split('\n');
  assert.equal(lines[0], 'email: sent to noc@noc.example');
  assert.match(
    lines[1]!,
    new RegExp(
      `^webhook: FAILED \\(webhook http://127\\.0\\.0\\.1:${port}/hook: ECONNREFUSED\\) to http://127\\.0\\.0\\.1:${port}/hook$`,
    ),
  );
  assert.equal(r.stderr, 'flowhunt: the test alert did not go through webhook\n');
  assert.equal(smtp.received.length, 2);

  const none = await runCli(['alert', 'test', '--data', dir]);
  assert.equal(none.code, 1);
  assert.equal(
    none.stderr,
    'flowhunt: no alert channel is configured (alert.email or alert.webhook in the --config file)\n',
  );
});
