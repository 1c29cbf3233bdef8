import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { register } from 'prom-client';
import { FakeCaptchaServer } from 'nestjs-captcha/testing';
import { AppModule } from '../../sample/app.module';
import { renderDashboardSvg, type RenderedPanel } from '../../scripts/render-dashboard';
import { eventually } from '../support/eventually';
import { PrometheusServer } from '../support/prometheus-server';
import { startApp } from '../support/create-app';

const MONITORING = join(__dirname, '../../docs/monitoring');
const RULES = join(MONITORING, 'captcha-rules.yml');
const DASHBOARD = join(MONITORING, 'grafana-dashboard.json');
/** Prometheus needs a few scrapes and evaluations (1 s each here) to see a change. */
const PROMETHEUS_WITHIN_MS = 20_000;

interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
  activeAt: string;
  value: string;
}
interface Sample {
  metric: Record<string, string>;
  value?: [number, string];
  values?: Array<[number, string]>;
}
interface DashboardTarget {
  expr: string;
  legendFormat: string;
  instant: boolean;
}
interface DashboardPanel {
  title: string;
  type: string;
  fieldConfig: { defaults: { unit?: string } };
  targets: DashboardTarget[];
}

/** The dashboard's variables as Grafana fills them for "All" over the last minutes. */
function substitute(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__range', '5m')
    .replaceAll('$provider', '.*')
    .replaceAll('$action', '.*');
}

/** A series' legend, as Grafana renders `legendFormat`. */
function legendOf(format: string, metric: Record<string, string>): string {
  return format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_m, label: string) => metric[label] ?? '');
}

const ENV = {
  CAPTCHA_PROVIDER: 'turnstile',
  CAPTCHA_SITE_KEY: FakeCaptchaServer.siteKeys.turnstile,
  CAPTCHA_SECRET_KEY: FakeCaptchaServer.secrets.turnstile,
  CAPTCHA_TIMEOUT_MS: '1000',
};

describe('the operations kit against a real Prometheus scraping the sample app', () => {
  let fake: FakeCaptchaServer;
  let app: INestApplication | undefined;
  let prometheus: PrometheusServer | undefined;
  let appUrl: string;
  const saved: Record<string, string | undefined> = {};
  let started: number;

  beforeAll(async () => {
    register.resetMetrics();
    fake = await FakeCaptchaServer.start();
    const env: Record<string, string> = { ...ENV, CAPTCHA_VERIFY_URL: fake.verifyUrl('turnstile') };
    for (const [name, value] of Object.entries(env)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = await startApp(moduleRef, 'express');
    const { port } = app.getHttpServer().address() as AddressInfo;
    appUrl = `http://127.0.0.1:${port}`;
    prometheus = await PrometheusServer.start({
      ruleFiles: [RULES],
      targets: [`127.0.0.1:${port}`],
    });
  }, 30_000);

  afterAll(async () => {
    await prometheus?.stop();
    await app?.close();
    await fake?.close();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  const post = async (path: string, body: object): Promise<number> => {
    const res = await fetch(`${appUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await res.arrayBuffer();
    return res.status;
  };
  const signup = (captchaToken?: string) =>
    post('/auth/signup', { email: 'a@example.com', password: 'pw', captchaToken });
  const token = (action = 'signup') => fake.issueToken({ provider: 'turnstile', action });

  /** Waits until Prometheus has scraped a sample of `query` (a series exists, > 0). */
  const scraped = (query: string) =>
    eventually(async () => {
      const answer = await prometheus!.api<{ result: Sample[] }>('/api/v1/query', { query });
      expect(answer.data.result.length).toBeGreaterThan(0);
    }, PROMETHEUS_WITHIN_MS);

  it('loads every rule of the kit, and all evaluate without error', async () => {
    const rules = await prometheus!.api<{
      groups: Array<{ name: string; rules: Array<{ name: string; health: string; type: string }> }>;
    }>('/api/v1/rules');
    expect(rules.status).toBe('success');
    const loaded = rules.data.groups.flatMap((g) => g.rules);
    const file = readFileSync(RULES, 'utf8');
    const inFile = [...file.matchAll(/- (?:alert|record): (\S+)/g)].map((m) => m[1]);
    expect(loaded.map((r) => r.name).sort()).toEqual(inFile.sort());
    // Rules evaluated at least once (1 s interval): `unknown` turns into `ok` or `err`.
    await eventually(async () => {
      const again = await prometheus!.api<typeof rules.data>('/api/v1/rules');
      const health = again.data.groups.flatMap((g) => g.rules).map((r) => `${r.name}:${r.health}`);
      expect(health.filter((h) => !h.endsWith(':ok'))).toEqual([]);
    }, PROMETHEUS_WITHIN_MS);
  });

  it('sees a provider outage provoked through the fake provider as the provider-down alerts', async () => {
    // Calm, healthy traffic: successes, tokenless requests, a garbage token, a replay, a token
    // for another action, slow answers; and wrong passwords (from the fourth, challenged). A
    // counter's first sample is its baseline, so the rounds after the first come once Prometheus
    // has seen the series.
    const round = async (n: number) => {
      const used = token();
      expect(await signup(used)).toBe(201);
      expect(await signup(used)).toBe(403);
      expect(await signup()).toBe(403);
      expect(await signup('not-a-real-token')).toBe(403);
      expect(await signup(token('login'))).toBe(403);
      fake.fault('turnstile', { delayMs: 100 * n, times: 1 });
      expect(await signup(token())).toBe(201);
      await post('/auth/login', { email: 'demo@example.com', password: 'wrong' });
    };
    // The dashboard's picture starts with the traffic (a rate needs two scrapes).
    started = Date.now() / 1000 + 2;
    await round(1);
    await scraped('captcha_verifications_total{outcome="success"}');
    for (let n = 2; n <= 4; n++) {
      await round(n);
      await sleep(1_000);
    }
    await scraped('captcha_verifications_total{outcome="success"} > 2');
    expect(await alertsOf('CaptchaProviderCircuitOpen')).toEqual([]);

    // The outage: the provider answers 503. Five consecutive failures open the circuit.
    fake.fault('turnstile', { status: 503 });
    for (let i = 0; i < 8; i++) expect(await signup(token())).toBe(503);
    // A counter's first sample is its baseline: the outage must grow it after Prometheus saw it.
    await scraped('captcha_verifications_total{outcome="provider_unavailable"}');
    for (let i = 0; i < 20; i++) expect(await signup(token())).toBe(503);
    // Users keep trying for a while (the dashboard gets seconds of the outage to show).
    const retries = (async () => {
      for (let i = 0; i < 32; i++) {
        expect(await signup(token())).toBe(503);
        await sleep(250);
      }
    })();

    // MONITORING_E2E_UNTIL_FIRING=1 waits out the rules' `for` (1 and 2 minutes) to see them fire.
    const untilFiring = process.env.MONITORING_E2E_UNTIL_FIRING === '1';
    const alerts = await eventually(
      async () => {
        const down = [
          ...(await alertsOf('CaptchaProviderCircuitOpen')),
          ...(await alertsOf('CaptchaProviderUnavailable')),
        ];
        expect(down.map((a) => a.labels.alertname).sort()).toEqual([
          'CaptchaProviderCircuitOpen',
          'CaptchaProviderUnavailable',
        ]);
        if (untilFiring) expect(down.map((a) => a.state)).toEqual(['firing', 'firing']);
        return down;
      },
      PROMETHEUS_WITHIN_MS + (untilFiring ? 150_000 : 0),
    );
    await retries;
    for (const alert of alerts) {
      expect(['pending', 'firing']).toContain(alert.state);
      expect(alert.labels).toMatchObject({ provider: 'turnstile', severity: 'page' });
      expect(alert.annotations.runbook).toContain('npx nestjs-captcha doctor');
      expect(alert.annotations.summary).toContain('turnstile');
    }
    // What Prometheus says, in full with MONITORING_E2E_UNTIL_FIRING=1 (quoted by issue 18).
    const shown = untilFiring
      ? JSON.stringify(alerts, null, 2)
      : alerts.map((a) => `${a.labels.alertname}{provider="${a.labels.provider}"} ${a.state}`);
    process.stdout.write(`\nPrometheus /api/v1/alerts (provider-down): ${shown}\n`);
    // No page for what did not happen.
    expect(await alertsOf('CaptchaStoreClaimsRefused')).toEqual([]);
    expect(await alertsOf('CaptchaProviderMisconfigured')).toEqual([]);
  }, 240_000);

  it('answers every dashboard panel query without error, with data for the traffic sent', async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: DashboardPanel[] };
    const results = new Map<string, Sample[]>();
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) {
        const query = substitute(target.expr);
        expect(query).not.toContain('$');
        const answer = await prometheus!.api<{ result: Sample[] }>('/api/v1/query', { query });
        expect({ panel: panel.title, query, status: answer.status, error: answer.error }).toEqual({
          panel: panel.title,
          query,
          status: 'success',
          error: undefined,
        });
        results.set(panel.title, [...(results.get(panel.title) ?? []), ...answer.data.result]);
      }
    }
    const labels = (title: string, label: string) =>
      new Set(results.get(title)!.map((s) => s.metric[label]));
    expect(labels('Verifications by outcome', 'outcome')).toEqual(
      new Set([
        'success',
        'duplicate',
        'missing',
        'invalid',
        'action_mismatch',
        'provider_unavailable',
      ]),
    );
    expect(labels('Verifications by provider', 'provider')).toEqual(new Set(['turnstile']));
    expect(labels('Challenge rate per action', 'condition')).toEqual(
      new Set(['always', 'failedAttempts']),
    );
    expect(results.get('Circuit state')!.map((s) => s.value![1])).toEqual(['1']);
    expect(labels('Provider failures by kind', 'kind')).toEqual(
      new Set(['http_5xx', 'circuit_open']),
    );
    expect(labels('Top reasons', 'outcome')).not.toContain('success');
    expect(labels('CAPTCHA alerts', 'alertname')).toContain('CaptchaProviderCircuitOpen');
  });

  it('renders the dashboard from this run (docs/monitoring/dashboard.svg)', async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: DashboardPanel[] };
    const end = Date.now() / 1000;
    const panels: RenderedPanel[] = [];
    for (const panel of dashboard.panels.filter((p) => p.type !== 'table')) {
      const rendered: RenderedPanel = {
        title: panel.title,
        kind: panel.type === 'bargauge' ? 'bars' : 'lines',
        unit: panel.type === 'state-timeline' ? 'state' : (panel.fieldConfig.defaults.unit ?? ''),
        series: [],
      };
      for (const target of panel.targets) {
        // Rates over 10 s: the run lasts seconds, not the minutes a real dashboard shows.
        const query = substitute(target.expr).replaceAll('[1m]', '[10s]');
        const answer = target.instant
          ? await prometheus!.api<{ result: Sample[] }>('/api/v1/query', { query })
          : await prometheus!.api<{ result: Sample[] }>('/api/v1/query_range', {
              query,
              start: String(started),
              end: String(end),
              step: '1',
            });
        expect(answer.status).toBe('success');
        for (const sample of answer.data.result) {
          const points = sample.values ?? (sample.value ? [sample.value] : []);
          rendered.series.push({
            name: legendOf(target.legendFormat, sample.metric),
            points: points.map(([t, v]) => [t, Number(v)]),
          });
        }
      }
      panels.push(rendered);
    }
    const svg = renderDashboardSvg(
      'nestjs-captcha: the sample app, then a provider outage (fake provider)',
      panels,
      { start: started, end },
      `real Prometheus, ${Math.round(end - started)} s, rates over 10 s, UTC`,
    );
    expect(svg.startsWith('<svg')).toBe(true);
    for (const panel of panels) expect(svg).toContain(panel.title);
    // One line per series of the line panels, one bar per reason.
    const lines = panels.filter((p) => p.kind === 'lines').flatMap((p) => p.series);
    expect(svg.match(/<path /g)?.length).toBeGreaterThanOrEqual(lines.length - 3);
    expect(svg).toContain('provider_unavailable');
    if (process.env.WRITE_DASHBOARD_SVG === '1') {
      writeFileSync(join(MONITORING, 'dashboard.svg'), svg);
    }
  });

  async function alertsOf(name: string): Promise<Alert[]> {
    const answer = await prometheus!.api<{ alerts: Alert[] }>('/api/v1/alerts');
    expect(answer.status).toBe('success');
    return answer.data.alerts.filter((a) => a.labels.alertname === name);
  }
});
