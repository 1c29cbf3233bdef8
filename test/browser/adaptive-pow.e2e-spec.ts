/**
 * Adaptive ALTCHA proof of work in a real Chromium: the real `altcha` widget solves challenges a
 * client fetched at rising levels (its failures recorded before), and the work it reports (the
 * counter its solution reached) grows with the level. Prints a table of level → counter range →
 * the widget's own solve time; `ADAPTIVE_POW_TABLE=1` measures the default settings
 * (`adaptive: true` without `counter`: base 1 000–8 000, ×2 per failure, cap ×64) for the README:
 *
 *   ADAPTIVE_POW_TABLE=1 npx jest test/browser/adaptive-pow.e2e-spec.ts
 */
import { Controller, Get, Header, NotFoundException, Param } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Browser } from 'playwright-core';
import { CaptchaRiskService, resolveCaptchaOptions, type AltchaOptions } from 'nestjs-captcha';
import { createCaptchaApp } from '../support/create-app';
import { launchChromium } from './browser-harness';

const TABLE = process.env.ADAPTIVE_POW_TABLE === '1';
const HMAC_KEY = 'test-altcha-hmac-key-0123456789abcdef';
/** The table: the library's own defaults (`adaptive: true`, no `counter`); else small and fast. */
const ALTCHA: AltchaOptions = TABLE
  ? { hmacKey: HMAC_KEY, algorithm: 'SHA-256', adaptive: true }
  : {
      hmacKey: HMAC_KEY,
      algorithm: 'SHA-256',
      counter: [2_000, 4_000],
      adaptive: { perFailure: 4, maxFactor: 64 },
    };
const RESOLVED = resolveCaptchaOptions({ provider: 'altcha', altcha: ALTCHA }).altcha;
const BASE = RESOLVED.counter;
const PER_FAILURE = RESOLVED.adaptive!.perFailure;
const MAX_FACTOR = RESOLVED.adaptive!.maxFactor;
const LEVELS = TABLE ? [0, 2, 4, 6] : [0, 3];
const SAMPLES = TABLE ? 3 : 2;

const ALTCHA_DIST = join(dirname(require.resolve('altcha')), '..');
const FILES: Record<string, string> = {
  'altcha.js': 'external/altcha.min.js',
  'sha.js': 'workers/sha.js',
};

const PAGE = `<!doctype html><html><body>
<altcha-widget challenge="/captcha/challenge?action=login"></altcha-widget>
<script type="module">
  await import('/assets/altcha/altcha.js');
  globalThis.$altcha.algorithms.set('SHA-256', () => new Worker('/assets/altcha/sha.js'));
  document.querySelector('altcha-widget').addEventListener('statechange', (event) => {
    if (event.detail.state === 'verified') window.solved = event.detail.payload;
  });
  window.ready = true;
</script></body></html>`;

@Controller()
class PowPageController {
  @Get('pow')
  @Header('content-type', 'text/html; charset=utf-8')
  page(): string {
    return PAGE;
  }

  @Get('assets/altcha/:file')
  @Header('content-type', 'text/javascript; charset=utf-8')
  asset(@Param('file') file: string): string {
    const path = Object.hasOwn(FILES, file) ? FILES[file] : undefined;
    if (!path) throw new NotFoundException();
    return readFileSync(join(ALTCHA_DIST, path), 'utf8');
  }
}

interface Solve {
  level: number;
  counter: number;
  /** The widget's own measure of its work, in ms. */
  time: number;
}

describe('adaptive ALTCHA proof of work in Chromium', () => {
  let browser: Browser;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    browser = await launchChromium();
    app = await createCaptchaApp(
      {
        provider: 'altcha',
        altcha: ALTCHA,
        trustProxy: 'loopback',
        metrics: false,
      },
      [PowPageController],
    );
    url = await app.getUrl();
    url = url.replace('[::1]', '127.0.0.1');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  /** One solve by the widget, for a client (its own IP) with `failures` recorded. */
  async function solveAt(failures: number, ip: string): Promise<Solve> {
    const risk = app.get(CaptchaRiskService);
    for (let i = 0; i < failures; i++) await risk.recordFailure('login', ip);
    const context = await browser.newContext({ extraHTTPHeaders: { 'x-forwarded-for': ip } });
    try {
      const page = await context.newPage();
      await page.goto(`${url}/pow`);
      await page.waitForFunction(() => (window as { ready?: boolean }).ready === true);
      await page.click('altcha-widget label');
      const handle = await page.waitForFunction(
        () => (window as { solved?: string }).solved,
        null,
        {
          timeout: 120_000,
        },
      );
      const payload = JSON.parse(
        Buffer.from((await handle.jsonValue()) as string, 'base64').toString(),
      ) as {
        challenge: { parameters: { data: { level: number } } };
        solution: { counter: number; time: number };
      };
      return {
        level: payload.challenge.parameters.data.level,
        counter: payload.solution.counter,
        time: payload.solution.time,
      };
    } finally {
      await context.close();
    }
  }

  it('makes the widget work more at a higher level', async () => {
    const solves: Solve[] = [];
    let client = 1;
    for (const level of LEVELS) {
      for (let i = 0; i < SAMPLES; i++) solves.push(await solveAt(level, `203.0.113.${client++}`));
    }
    const rows = LEVELS.map((level) => {
      const mine = solves.filter((solve) => solve.level === level);
      const factor = Math.min(MAX_FACTOR, PER_FAILURE ** level);
      const range = [BASE[0] * factor, BASE[1] * factor];
      const sorted = [...mine].sort((a, b) => a.time - b.time);
      return {
        level,
        range,
        mine,
        median: sorted[Math.floor(sorted.length / 2)],
        slowest: sorted.at(-1)!,
      };
    });
    const ms = (solve: Solve) =>
      `${Math.round(solve.time)} ms (${solve.counter.toLocaleString('en')})`;
    console.log(
      [
        `| level (failures) | counter range | median of ${SAMPLES} solves (counter reached) | slowest |`,
        '|---|---|---|---|',
        ...rows.map(
          ({ level, range, median, slowest }) =>
            `| ${level} | ${range[0].toLocaleString('en')}–${range[1].toLocaleString('en')} | ${ms(median)} | ${ms(slowest)} |`,
        ),
      ].join('\n'),
    );
    for (const { level, range, mine } of rows) {
      expect(mine).toHaveLength(SAMPLES);
      for (const solve of mine) {
        expect(solve.level).toBe(level);
        expect(solve.counter).toBeGreaterThanOrEqual(range[0]);
        expect(solve.counter).toBeLessThanOrEqual(range[1]);
      }
    }
    // The work is the counter the widget reached: every top-level solve took more than any base one.
    const top = rows[rows.length - 1].mine;
    const base = rows[0].mine;
    expect(Math.min(...top.map((s) => s.counter))).toBeGreaterThan(
      4 * Math.max(...base.map((s) => s.counter)),
    );
  }, 600_000);
});
