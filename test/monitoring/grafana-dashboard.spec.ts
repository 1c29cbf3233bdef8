import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CAPTCHA_METRIC_NAMES } from '../../lib/contracts/captcha-metric-names';

interface Datasource {
  type: string;
  uid: string;
}
interface Panel {
  id: number;
  title: string;
  datasource: Datasource;
  gridPos: { x: number; y: number; w: number; h: number };
  targets: Array<{ refId: string; expr: string; datasource: Datasource }>;
}
interface Dashboard {
  __inputs: Array<{ name: string; type: string; pluginId: string }>;
  uid: string;
  templating: {
    list: Array<{ name: string; type: string; query: unknown; datasource?: Datasource }>;
  };
  panels: Panel[];
}

const dashboard = JSON.parse(
  readFileSync(join(__dirname, '../../docs/monitoring/grafana-dashboard.json'), 'utf8'),
) as Dashboard;
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

describe('docs/monitoring/grafana-dashboard.json', () => {
  it('asks for its Prometheus datasource on import and keeps it as a variable', () => {
    expect(dashboard.__inputs).toEqual([
      expect.objectContaining({
        name: 'DS_PROMETHEUS',
        type: 'datasource',
        pluginId: 'prometheus',
      }),
    ]);
    const variables = dashboard.templating.list;
    expect(variables[0]).toMatchObject({
      name: 'datasource',
      type: 'datasource',
      query: 'prometheus',
    });
    for (const variable of variables.slice(1)) expect(variable.datasource).toEqual(DATASOURCE);
    for (const panel of dashboard.panels) {
      expect(panel.datasource).toEqual(DATASOURCE);
      for (const target of panel.targets) expect(target.datasource).toEqual(DATASOURCE);
    }
  });

  it('has the panels of the kit, with unique ids, laid out on the 24-column grid', () => {
    expect(dashboard.panels.map((p) => p.title)).toEqual(
      expect.arrayContaining([
        'Verifications by outcome',
        'Verifications by provider',
        'Challenge rate per action',
        'Verification latency (histogram quantiles)',
        'Circuit state',
        'Store health',
        'Top reasons',
      ]),
    );
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    const cells = new Set<string>();
    for (const { gridPos } of dashboard.panels) {
      expect(gridPos.x + gridPos.w).toBeLessThanOrEqual(24);
      for (let x = gridPos.x; x < gridPos.x + gridPos.w; x++) {
        for (let y = gridPos.y; y < gridPos.y + gridPos.h; y++) {
          expect(cells.has(`${x},${y}`)).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it('queries only the metrics of the contract (and the rules’ ALERTS)', () => {
    const known = new Set<string>([
      ...Object.values(CAPTCHA_METRIC_NAMES),
      'captcha_clearances_total',
      'ALERTS',
    ]);
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
    const used = exprs.flatMap((expr) =>
      [...expr.matchAll(/\b(captcha_[a-z_]+?|ALERTS)(?:_bucket)?(?=[{[)\s])/g)].map((m) => m[1]),
    );
    expect(used.filter((name) => !known.has(name))).toEqual([]);
  });
});
