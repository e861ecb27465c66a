/**
 * The HTML report in a real headless browser (Debian's Chromium through playwright-core; .ci/run
 * installs it): its SVG plots render with a size and drawn points, the minimal case shows, and the
 * page logs no console error. Without /usr/bin/chromium it fails, saying so: a skip would pass silently.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtmlReport } from '../../conformance/report/html.ts';
import { againstVariant, fingerprinted, scratch } from './helpers.ts';

const CHROMIUM = '/usr/bin/chromium';

// Flags for a locked-down CI box: no sandbox (root in a container), and nothing phoning home.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe('PREC-1 · the HTML report in a browser', () => {
  it('has Debian’s Chromium to run in (.ci/run installs it)', () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is not installed: apt-get install --no-install-recommends chromium`).toBe(true);
  });

  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    dir = scratch();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function open(file: string) {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    // A self-contained report asks for nothing: any request but the file itself is a fault.
    page.on('request', (r) => {
      if (r.url() !== pathToFileURL(file).href) problems.push(`request: ${r.url()}`);
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    return { page, problems };
  }

  it('PREC-1 · the failing check (reference against ADAM-8’s ε inside the root) renders its plots, its minimal case and no console error', async () => {
    const report = await againstVariant();
    const file = join(dir, 'against-variant.html');
    writeFileSync(file, renderHtmlReport(report));
    const { page, problems } = await open(file);
    const plots = page.locator('svg.plot');
    expect(await plots.count()).toBe(2);
    for (const plot of await plots.all()) {
      const box = await plot.boundingBox();
      expect(box?.width).toBeGreaterThan(100);
      expect(box?.height).toBeGreaterThan(100);
      expect(await plot.locator('path.pts, circle.pt').count()).toBeGreaterThan(0);
    }
    // The one failing output, drawn in red and inside the plot's frame.
    const fail = page.locator('svg.plot circle.pt.fail').first();
    const frame = (await page.locator('svg.plot').first().boundingBox())!;
    const dot = (await fail.boundingBox())!;
    expect(dot.width).toBeGreaterThan(0);
    expect(dot.x).toBeGreaterThanOrEqual(frame.x);
    expect(dot.x + dot.width).toBeLessThanOrEqual(frame.x + frame.width);
    const caseText = await page.locator('pre.case').innerText();
    expect(JSON.parse(caseText)).toEqual(report.targets[0].failure!.minimalCase);
    expect(await page.locator('pre.case').isVisible()).toBe(true);
    expect(await page.locator('pre.replay').innerText()).toMatch(
      /^checkImplementation\(impl, \{"runs":20,"optimizer":"adam","dtype":"float32","variant":"adam\/eps-inside-sqrt","seed":1,"path":"\d+(:\d+)*"\}\)$/,
    );
    expect(problems).toEqual([]);
    await page.close();
  });

  it('PREC-1 · a passing and a failing target: every plot has points, the failing one in red; screenshot for a look', async () => {
    const report = await fingerprinted();
    const file = join(dir, 'fingerprinted.html');
    writeFileSync(file, renderHtmlReport(report));
    const { page, problems } = await open(file);
    const sgd = page.locator('#sgd-float32 svg.plot');
    expect(await sgd.count()).toBe(2);
    for (const plot of await sgd.all()) {
      const dots = plot.locator('path.pts');
      expect(await dots.count()).toBe(2); // params and momentum_buffer
      for (const d of await dots.all()) {
        expect(Number(await d.getAttribute('data-points'))).toBeGreaterThan(20);
        const box = await d.boundingBox();
        expect(box?.width).toBeGreaterThan(50);
        expect(box?.height).toBeGreaterThan(20);
      }
    }
    expect(await page.locator('#sgd-float32 circle.pt.fail').count()).toBe(0);
    expect(await page.locator('#adam-float32 circle.pt.fail').count()).toBeGreaterThan(0);
    // the bounds are drawn too
    const bound = await page.locator('#sgd-float32 svg.plot path.bound').first().boundingBox();
    expect(bound?.height).toBeGreaterThan(0);
    expect(await page.locator('#adam-float32 .fingerprint').innerText()).toMatch(/^matches adam\/eps-inside-sqrt/);
    expect(problems).toEqual([]);
    // OPTCONF_SCREENSHOT=/tmp/report.png keeps a picture to look at.
    const shot = await page.screenshot({ path: process.env.OPTCONF_SCREENSHOT || join(dir, 'report.png'), fullPage: true });
    expect(shot.length).toBeGreaterThan(10_000);
    await page.close();
  });
});
