/**
 * The command line's own errors (spec/protocol.md PROTO-8, exit code 2 "bad arguments"): one line
 * naming the argument, report paths checked before the run, `-` and other streams written and
 * never read, and the terminal's cursor shown again when the runner is stopped.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertHtmlReplaceable } from '../../conformance/report/html.ts';
import { assertJunitReplaceable } from '../../conformance/report/junit.ts';
import { assertJsonReplaceable } from '../../conformance/report/report.ts';
import { outputFor } from '../../scripts/commands/output.ts';
import { ROOT } from '../../scripts/traceability.ts';
import { optconf, optconfAsync } from './cli.ts';
import { scratch } from './helpers.ts';

const quick = ['run', '--impl', 'reference', '--optimizer', 'sgd', '--dtype', 'float32', '--runs', '3', '--seed', '1'];

/** A usage error: exit 2, nothing on stdout, one line on stderr. */
async function expectUsageError(args: readonly string[], message: RegExp): Promise<void> {
  const r = await optconfAsync(...args);
  expect(r.status, r.stderr).toBe(2);
  expect(r.stdout, 'nothing ran').toBe('');
  expect(r.stderr.trimEnd().split('\n'), 'one line').toHaveLength(1);
  expect(r.stderr).toMatch(message);
}

// Each usage error is a CLI start of its own (a second of tsx loading, mostly waiting): they run at once.
describe.concurrent('PROTO-8 · a usage error exits 2 with one line naming the argument', () => {
  const cases: [string[], RegExp][] = [
    [['run', '--impl', 'reference', '--bogus'], /unknown option '--bogus'/],
    [['run'], /required option '--impl <command>' not specified/],
    [['run', '--impl', 'reference', '--runs', '0'], /'--runs <n>' argument '0' is invalid\. --runs must be an integer ≥ 1/],
    [['run', '--impl', 'reference', '--optimizer', 'foo'], /'--optimizer <name>' argument 'foo' is invalid/],
    [['run', '--impl', 'reference', 'extra'], /too many arguments for 'run'/],
    [['merge'], /missing required argument 'reports'/],
    [['bogus'], /unknown command 'bogus'/],
    [[], /missing command after "optconf"/],
    [['golden'], /missing command after "optconf golden"/],
  ];
  for (const [args, message] of cases) it(`PROTO-8 · optconf ${args.join(' ')}`, () => expectUsageError(args, message));

  it('PROTO-8 · --help is not an error: exit 0, the help on stdout', async () => {
    const r = await optconfAsync('run', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--impl <command>/);
  });
});

describe.concurrent('PROTO-8 · report paths are checked before the run', () => {
  const missing = (option: string) => {
    const path = join(scratch(), 'no-such-folder', 'out');
    return { path, message: new RegExp(`${option} ${path}: no folder ${join(path, '..')}`) };
  };
  it('PROTO-8 · --json in a folder that does not exist: exit 2 at once', async () => {
    const { path, message } = missing('--json');
    await expectUsageError([...quick, '--json', path], message);
  });
  // One check (outputFor) serves the three options. That `optconf run` applies it to --report and
  // --junit before the run, exiting 2, is run-cli.test.ts's refusal of a user's file; here the
  // path's problem is checked in process, without two more CLI starts.
  for (const [option, guard] of [
    ['--report', assertHtmlReplaceable],
    ['--junit', assertJunitReplaceable],
  ] as const) {
    it(`PROTO-8 · ${option} in a folder that does not exist: refused, naming the folder`, () => {
      const { path, message } = missing(option);
      expect(() => outputFor(option, path, guard)).toThrow(message);
    });
  }

  it('PROTO-8 · --json under a file, or naming a folder: exit 2 at once', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    await expectUsageError([...quick, '--json', join(dir, 'notes.txt', 'r.json')], /notes\.txt is not a folder/);
    // the same exit 2 path as above; the folder's own message checked in process
    expect(() => outputFor('--json', dir, assertJsonReplaceable)).toThrow(/: is a folder$/);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('PROTO-8 · --json in a folder that is not writable: exit 2 at once', () => {
    const dir = join(scratch(), 'read-only');
    mkdirSync(dir);
    chmodSync(dir, 0o555);
    // root may write anywhere, so as root the command runs as nobody, for whom the folder is read-only
    const nobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    chmodSync(join(dir, '..'), 0o755);
    const args = ['bin/optconf.js', ...quick, '--json', join(dir, 'r.json')];
    const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 120_000, ...nobody });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stdout, 'nothing ran').toBe('');
    expect(r.stderr.trimEnd().split('\n'), 'one line').toHaveLength(1);
    expect(r.stderr).toMatch(/folder .*read-only is not writable/);
  });
});

describe('PROTO-8 · streams are written, never read', () => {
  it('PROTO-8 · --json - writes the JSON report to stdout (the text report to stderr), and no file named -', () => {
    const dir = scratch();
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/optconf.js'), ...quick, '--json', '-'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ format: 'optconf-report/1', verdict: 'conformant' });
    expect(r.stderr).toMatch(/verdict: CONFORMANT/);
    expect(existsSync(join(dir, '-'))).toBe(false);
  });

  it('PROTO-8 · --json /dev/stdout ends (its stdout is not read as an earlier report) and writes the report there', () => {
    const r = optconf(...quick, '--json', '/dev/stdout');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ verdict: 'conformant' });
  });

  it('PROTO-8 · --junit to a FIFO writes the report into it', () => {
    const dir = scratch();
    const fifo = join(dir, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const command = `cat ${fifo} > ${join(dir, 'got.xml')} & ${JSON.stringify(process.execPath)} bin/optconf.js ${quick.join(' ')} --junit ${fifo}; s=$?; wait; exit $s`;
    const r = spawnSync('bash', ['-c', command], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'got.xml'), 'utf8')).toMatch(/^<\?xml[\s\S]*<testsuites[\s\S]*<\/testsuites>\s*$/);
  });
});

// `script` (util-linux) gives the command a pseudo-terminal, as a user's shell would.
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
describe.concurrent('PROTO-8 · the cursor is shown again when the runner is stopped', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it.skipIf(!hasScript)(`PROTO-8 · ${signal} while the progress bar is up: the last cursor sequence shows it`, async () => {
      const dir = scratch();
      const [pids, log] = [join(dir, 'pids'), join(dir, 'tty.log')];
      const impl = `/usr/bin/python3 tests/fixtures/faults/hang-after-two-cases.py ${pids}`;
      const command = `${JSON.stringify(process.execPath)} bin/optconf.js run --impl '${impl}' --optimizer sgd --runs 20 --seed 1 > /dev/null`;
      const { spawn } = await import('node:child_process');
      const script = spawn('script', ['-qec', command, log], { cwd: ROOT, stdio: 'ignore' });
      const ended = new Promise((resolve) => script.once('exit', resolve));
      // the adapter, then its helper: two cases answered, the third hangs
      for (let waited = 0; !existsSync(pids) || readFileSync(pids, 'utf8').trim().split('\n').length < 2; waited += 50) {
        if (waited > 30_000) throw new Error('the adapter never reached its hang');
        await new Promise((r) => setTimeout(r, 50));
      }
      const adapter = Number(readFileSync(pids, 'utf8').split('\n')[0]);
      // the runner is the adapter's parent: "pid (comm) state ppid …"
      const stat = readFileSync(`/proc/${adapter}/stat`, 'utf8');
      const runner = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      process.kill(runner, signal);
      await ended;
      const tty = readFileSync(log, 'utf8');
      expect(tty, 'the bar hid the cursor').toContain('\u001b[?25l');
      expect(tty.lastIndexOf('\u001b[?25h'), 'shown again after it was last hidden').toBeGreaterThan(tty.lastIndexOf('\u001b[?25l'));
    });
  }
});
