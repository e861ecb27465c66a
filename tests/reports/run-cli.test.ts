/**
 * `optconf run --report/--junit/--json` end to end, the progress bar (on a terminal only) and the
 * refusal to overwrite a user's file before anything runs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { HTML_MARK } from '../../conformance/report/html.ts';
import { referenceImplementation } from '../../conformance/adapters/reference.ts';
import { checkImplementation, type CheckOptions } from '../../conformance/check/runner.ts';
import { JUNIT_MARK } from '../../conformance/report/junit.ts';
import { formatReport } from '../../conformance/report/report.ts';
import { ROOT } from '../../scripts/traceability.ts';
import { optconf, ranAsync } from './cli.ts';
import { scratch } from './helpers.ts';

/** A target's block of the text report. */
const targetBlock = (text: string, dtype: string) => new RegExp(`^adam ${dtype} [\\s\\S]*?(?=^\\S)`, 'm').exec(text)?.[0];

/** A target's failure as the text report prints it (the clause counts differ: a replay asks only the failing case). */
const failureLines = (text: string, dtype: string) =>
  (targetBlock(text, dtype) ?? '').split('\n').filter((l) => /^ {2}(failure|first failure|minimal failing case|failing case|fingerprint):/.test(l));

const run = ['run', '--impl', 'reference', '--optimizer', 'adam', '--dtype', 'float32', '--variant', 'eps-inside-sqrt', '--runs', '20', '--seed', '1'];

describe('PROTO-8 · optconf run writes the reports', () => {
  it('PROTO-8 · --report, --junit and --json write all three; stdout is the terminal report; stderr stays quiet off a terminal', () => {
    const dir = scratch();
    const [html, xml, json] = ['r.html', 'r.xml', 'r.json'].map((f) => join(dir, f));
    const r = optconf(...run, '--report', html, '--junit', xml, '--json', json);
    expect(r.status).toBe(1);
    expect(r.stderr, 'no progress bar when stderr is not a terminal').toBe('');
    expect(r.stdout).toMatch(/verdict: NOT CONFORMANT \(exit 1\)$/m);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain(HTML_MARK);
    // The CLI passes the clause titles from spec/.
    expect(page).toContain('Variant `adam/eps-inside-sqrt`');
    expect(page).toMatch(/optconf run --impl reference --runs 20 --optimizer adam --dtype float32 --variant adam\/eps-inside-sqrt --seed 1 --path \d+(:\d+)*</);
    const junit = readFileSync(xml, 'utf8');
    expect(junit).toContain(JUNIT_MARK);
    expect(XMLValidator.validate(junit)).toBe(true);
    expect(JSON.parse(readFileSync(json, 'utf8')).verdict).toBe('not-conformant');
  });

  it('PROTO-8 · every printed replay line runs as printed, in a shell and in process, and gives the same failure: message, case, shrinks, fingerprint', async () => {
    const first = optconf('run', '--impl', 'reference', '--optimizer', 'adam', '--variant', 'eps-hat', '--runs', '15', '--seed', '42');
    expect(first.status, first.stdout).toBe(1);
    const lines = [...first.stdout.matchAll(/^ {2}replay: (.*)$/gm)].map((m) => m[1]);
    expect(lines.length, first.stdout).toBeGreaterThan(1);
    // `optconf` on the PATH, as an installed package puts it
    const bin = scratch();
    symlinkSync(join(ROOT, 'bin/optconf.js'), join(bin, 'optconf'));
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    for (const line of lines) expect(line).toMatch(/^optconf run --impl reference .* --seed 42 --path \d+(:\d+)*$/);
    // one CLI start a line, mostly tsx loading: the lines run at once
    const replays = await Promise.all(lines.map((line) => ranAsync('sh', ['-c', line], env)));
    lines.forEach((line, k) => {
      const again = replays[k];
      const dtype = /--dtype (\w+)/.exec(line)![1];
      expect(again.status, again.stderr).toBe(1);
      expect(failureLines(again.stdout, dtype), line).toEqual(failureLines(first.stdout, dtype));
    });
    // the in-process check prints the call that replays it; run as printed, it fails the same way
    const report = await checkImplementation(referenceImplementation, { optimizer: 'adam', variant: 'eps-hat', runs: 15, seed: 42 });
    const text = formatReport(report);
    for (const t of report.targets) {
      const call = /^ {2}replay: checkImplementation\(impl, (\{.*\})\)$/m.exec(targetBlock(text, t.dtype)!)?.[1];
      expect(call, text).toBeDefined();
      const replayed = formatReport(await checkImplementation(referenceImplementation, JSON.parse(call!) as CheckOptions));
      expect(failureLines(replayed, t.dtype)).toEqual(failureLines(text, t.dtype));
      expect(failureLines(text, t.dtype), 'in process and on the command line alike').toEqual(failureLines(first.stdout, t.dtype));
    }
  });

  it('PROTO-8 · a user’s file given as --report or --junit is refused before the check runs, and left as it was', () => {
    const dir = scratch();
    const mine = join(dir, 'index.html');
    writeFileSync(mine, 'my page');
    const r = optconf(...run, '--report', mine, '--json', join(dir, 'r.json'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/index\.html exists and is not an optconf HTML report; not overwriting it/);
    expect(r.stdout).toBe('');
    expect(readFileSync(mine, 'utf8')).toBe('my page');
    expect(existsSync(join(dir, 'r.json')), 'nothing written when one output is refused').toBe(false);
    const xml = join(dir, 'build.xml');
    writeFileSync(xml, '<project/>');
    expect(optconf(...run, '--junit', xml).status).toBe(2);
    expect(readFileSync(xml, 'utf8')).toBe('<project/>');
  });

  // `script` (util-linux) gives the command a pseudo-terminal, as a user's shell would.
  const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!hasScript)('PROTO-8 · on a terminal a progress bar shows each target’s cases', () => {
    const dir = scratch();
    const log = join(dir, 'tty.log');
    const command = `${JSON.stringify(process.execPath)} bin/optconf.js run --impl reference --optimizer sgd --dtype float32 --runs 40 --seed 1 > /dev/null`;
    const r = spawnSync('script', ['-qec', command, log], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    const tty = readFileSync(log, 'utf8');
    expect(tty).toMatch(/sgd\/float32 \[[=-]{40}\] 40\/40 cases/);
  });
});
