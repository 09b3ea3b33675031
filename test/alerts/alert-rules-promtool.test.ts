/**
 * The alert rules msx renders, checked by Prometheus's own tool: the
 * shop's rule file for compose (and the prometheus.yml that loads it), and
 * both Kubernetes forms (the ConfigMap's rule file, the PrometheusRule's
 * groups), pass `promtool check rules`, the Prometheus msx renders for
 * Kubernetes passes `promtool check config`; and `promtool test rules` replays
 * series of a service answering 5xx to show the error-rate rule fires after
 * its `for`, and not for a service below the threshold.
 *
 * promtool comes with Debian's `prometheus` package (.ci/run installs it).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { execa } from 'execa';
import { parse, parseAllDocuments, parseDocument, stringify } from 'yaml';
import { msx, tempDir } from '../support/msx.js';

let temp: ReturnType<typeof tempDir>;
let shop: string;

before(async () => {
  temp = tempDir('msx-alert-rules-');
  const created = await msx(['new', 'shop', '--example', 'shop', '--yes'], { cwd: temp.dir });
  assert.equal(created.exitCode, 0, created.stderr);
  shop = join(temp.dir, 'shop');
});
after(() => temp?.cleanup());

async function promtool(t: TestContext, args: string[], cwd: string) {
  const probe = await execa('promtool', ['--version'], { reject: false });
  if (probe.exitCode !== 0) {
    const why = 'promtool is not installed: apt-get install -y prometheus (Debian\'s package ships it; .ci/run installs it)';
    if (process.env.CI) assert.fail(why);
    t.skip(why);
    return undefined;
  }
  return execa('promtool', args, { cwd, reject: false, all: true });
}

/** Alerting rules of a rule file, by `<group> <alert>`. */
function alertsOf(file: { groups: { name: string; rules: { alert: string; expr: string; for: string; labels: Record<string, string> }[] }[] }) {
  return new Map(file.groups.flatMap((g) => g.rules.map((r) => [`${g.name} ${r.alert}`, r] as const)));
}

test('compose: the shop\'s rule file and the Prometheus configuration that loads it pass promtool', async (t) => {
  const render = await msx(['render', 'compose'], { cwd: shop });
  assert.equal(render.exitCode, 0, render.stderr);
  const dir = join(shop, 'compose', 'prometheus');
  const config = parse(readFileSync(join(dir, 'prometheus.yml'), 'utf8')) as { rule_files: string[] };
  assert.deepEqual(config.rule_files, ['alerts.yml']);
  const rules = await promtool(t, ['check', 'rules', 'alerts.yml'], dir);
  if (!rules) return;
  assert.equal(rules.exitCode, 0, rules.all);
  const checked = await promtool(t, ['check', 'config', 'prometheus.yml'], dir);
  assert.equal(checked!.exitCode, 0, checked!.all);
  assert.match(checked!.all!, /1 rule files found/);

  const alerts = alertsOf(parse(readFileSync(join(dir, 'alerts.yml'), 'utf8')));
  // Every service gets the request and restart rules; consumers the bus rules; services with a database the saga rule.
  for (const service of ['gateway', 'users', 'products', 'orders', 'payments', 'notifications']) {
    for (const alert of ['HighErrorRate', 'HighLatencyP99', 'InstanceRestarting']) assert.ok(alerts.has(`shop.${service} ${alert}`), `${service} ${alert}`);
  }
  assert.match(alerts.get('shop.gateway HighErrorRate')!.expr, /^sum\(rate\(gateway_requests_total\{service="gateway",status=~"5\.\."\}\[5m\]\)\)/);
  assert.match(alerts.get('shop.orders HighErrorRate')!.expr, /http_requests_total\{service="orders"/);
  assert.match(alerts.get('shop.orders HighLatencyP99')!.expr, /^histogram_quantile\(0\.99, .* > 1$/);
  assert.ok(alerts.has('shop.notifications HighConsumerLag') && alerts.has('shop.notifications DeadLettersPresent'));
  assert.ok(!alerts.has('shop.gateway DeadLettersPresent') && !alerts.has('shop.gateway SagasStuck'));
  assert.ok(alerts.has('shop.orders SagasStuck'));
  assert.deepEqual(alerts.get('shop.orders HighErrorRate')!.labels, { severity: 'critical', system: 'shop', service: 'orders' });
});

test('kubernetes: the ConfigMap\'s rule file (default) and the PrometheusRule (alertRules: prometheusRule) pass promtool and the schemas', async (t) => {
  const render = await msx(['render', 'kubernetes'], { cwd: shop });
  assert.equal(render.exitCode, 0, render.stderr);
  const out = join(shop, 'deploy', 'kubernetes', 'shop');
  const [configMap] = parseAllDocuments(readFileSync(join(out, 'alerts.yaml'), 'utf8')).map((d) => d.toJS()) as [{ kind: string; metadata: { name: string }; data: Record<string, string> }];
  assert.equal(configMap.kind, 'ConfigMap');
  assert.equal(configMap.metadata.name, 'shop-alert-rules');
  writeFileSync(join(temp.dir, 'configmap-rules.yml'), configMap.data['alerts.yml']!);
  const fromConfigMap = await promtool(t, ['check', 'rules', 'configmap-rules.yml'], temp.dir);
  if (!fromConfigMap) return;
  assert.equal(fromConfigMap.exitCode, 0, fromConfigMap.all);
  assert.match(alertsOf(parse(configMap.data['alerts.yml']!)).get('shop.orders HighErrorRate')!.expr, /http_requests_total\{namespace="shop",service="orders",status=~"5\.\."\}/);

  const operator = join(temp.dir, 'shop-operator');
  cpSync(shop, operator, { recursive: true });
  const manifest = parseDocument(readFileSync(join(operator, 'msx.yaml'), 'utf8'));
  manifest.setIn(['infrastructure', 'kubernetes', 'alertRules'], 'prometheusRule');
  writeFileSync(join(operator, 'msx.yaml'), manifest.toString());
  const rendered = await msx(['render', 'kubernetes'], { cwd: operator });
  assert.equal(rendered.exitCode, 0, rendered.stderr);
  assert.match(rendered.stdout, /valid against the Kubernetes schemas/);
  const [rule] = parseAllDocuments(readFileSync(join(operator, 'deploy', 'kubernetes', 'shop', 'alerts.yaml'), 'utf8')).map((d) => d.toJS()) as [{ apiVersion: string; kind: string; spec: { groups: unknown[] } }];
  assert.equal(rule.apiVersion, 'monitoring.coreos.com/v1');
  assert.equal(rule.kind, 'PrometheusRule');
  writeFileSync(join(temp.dir, 'operator-rules.yml'), stringify({ groups: rule.spec.groups }));
  const fromRule = await promtool(t, ['check', 'rules', 'operator-rules.yml'], temp.dir);
  assert.equal(fromRule!.exitCode, 0, fromRule!.all);
  assert.deepEqual(rule.spec.groups, parse(configMap.data['alerts.yml']!).groups, 'the same rules either way');
  assert.doesNotMatch(readFileSync(join(operator, 'deploy', 'kubernetes', 'shop', 'kustomization.yaml'), 'utf8'), /configmap/i);
});

test('kubernetes: msx\'s own Prometheus (prometheus.yml with pod discovery) passes promtool check config, with the alert rules\' ConfigMap where the pod mounts it', async (t) => {
  const render = await msx(['render', 'kubernetes'], { cwd: shop });
  assert.equal(render.exitCode, 0, render.stderr);
  const out = join(shop, 'deploy', 'kubernetes', 'shop');
  type ConfigMap = { kind: string; metadata: { name: string }; data: Record<string, string> };
  const configMaps = [...parseAllDocuments(readFileSync(join(out, 'prometheus.yaml'), 'utf8')), ...parseAllDocuments(readFileSync(join(out, 'alerts.yaml'), 'utf8'))]
    .map((d) => d.toJS() as ConfigMap).filter((o) => o.kind === 'ConfigMap');
  const config = configMaps.find((c) => c.metadata.name === 'prometheus-config')!.data['prometheus.yml']!;
  const rules = configMaps.find((c) => c.metadata.name === 'shop-alert-rules')!.data['alerts.yml']!;
  const parsed = parse(config) as { rule_files: string[]; scrape_configs: { kubernetes_sd_configs?: { role: string }[] }[] };
  assert.deepEqual(parsed.rule_files, ['/etc/prometheus/rules/alerts.yml']);
  assert.equal(parsed.scrape_configs[0]!.kubernetes_sd_configs![0]!.role, 'pod');
  // The two ConfigMaps as the pod's volumes hold them; the rule file's path is the mount's, under this folder.
  const root = join(temp.dir, 'prometheus-pod');
  mkdirSync(join(root, 'etc', 'prometheus', 'config'), { recursive: true });
  mkdirSync(join(root, 'etc', 'prometheus', 'rules'), { recursive: true });
  writeFileSync(join(root, 'etc', 'prometheus', 'rules', 'alerts.yml'), rules);
  let checkedConfig = config.replace('- /etc/prometheus/rules/alerts.yml', `- ${join(root, 'etc', 'prometheus', 'rules', 'alerts.yml')}`);
  // Debian's promtool is built without Kubernetes discovery (it refuses the field); the official image's has it.
  writeFileSync(join(root, 'probe.yml'), stringify({ scrape_configs: [{ job_name: 'probe', kubernetes_sd_configs: [{ role: 'pod' }] }] }));
  const probe = await promtool(t, ['check', 'config', 'probe.yml'], root);
  if (!probe) return;
  if (probe.exitCode !== 0 && /field kubernetes_sd_configs not found/.test(probe.all!)) {
    t.diagnostic('this promtool has no Kubernetes discovery: checking the configuration with a static target in place of kubernetes_sd_configs (relabelling, rule files and the rest as rendered)');
    const withStatic = parse(checkedConfig) as { scrape_configs: Record<string, unknown>[] };
    for (const job of withStatic.scrape_configs) {
      if (!job.kubernetes_sd_configs) continue;
      delete job.kubernetes_sd_configs;
      job.static_configs = [{ targets: ['10.0.0.1:3000'] }];
    }
    checkedConfig = stringify(withStatic);
  }
  writeFileSync(join(root, 'etc', 'prometheus', 'config', 'prometheus.yml'), checkedConfig);
  const checked = await promtool(t, ['check', 'config', join(root, 'etc', 'prometheus', 'config', 'prometheus.yml')], root);
  assert.equal(checked!.exitCode, 0, checked!.all);
  assert.match(checked!.all!, /1 rule files found/);
});

test('promtool test rules: orders answering 50% 5xx fires HighErrorRate after its 2m; users at 1% does not', async (t) => {
  const render = await msx(['render', 'compose'], { cwd: shop });
  assert.equal(render.exitCode, 0, render.stderr);
  const rulesFile = join(shop, 'compose', 'prometheus', 'alerts.yml');
  // Per minute: orders 60 requests, 30 of them 500; users 100 requests, one 500 (1% is under the 5% default).
  const series = [
    { series: 'http_requests_total{service="orders",route="/orders",status="200"}', values: '0+30x20' },
    { series: 'http_requests_total{service="orders",route="/orders",status="500"}', values: '0+30x20' },
    { series: 'http_requests_total{service="users",route="/users",status="200"}', values: '0+99x20' },
    { series: 'http_requests_total{service="users",route="/users",status="500"}', values: '0+1x20' },
  ];
  const firing = { alertname: 'HighErrorRate', severity: 'critical', system: 'shop', service: 'orders' };
  const unitTests = {
    rule_files: [rulesFile],
    evaluation_interval: '1m',
    tests: [{
      interval: '1m',
      input_series: series,
      alert_rule_test: [
        // At 2m the condition has held since 1m only: pending, not firing.
        { eval_time: '2m', alertname: 'HighErrorRate', exp_alerts: [] },
        { eval_time: '10m', alertname: 'HighErrorRate', exp_alerts: [{ exp_labels: firing, exp_annotations: {
          summary: 'orders answers more than 5% of its requests with 5xx',
          description: 'HighErrorRate of orders: 50% (fires above 5%)',
        } }] },
      ],
    }],
  };
  writeFileSync(join(temp.dir, 'error-rate.test.yml'), stringify(unitTests));
  const result = await promtool(t, ['test', 'rules', 'error-rate.test.yml'], temp.dir);
  if (!result) return;
  assert.equal(result.exitCode, 0, result.all);
  assert.match(result.all!, /SUCCESS/);

  // The same file with users expected to fire must fail: the test above can tell the two apart.
  unitTests.tests[0]!.alert_rule_test[1]!.exp_alerts.push({ exp_labels: { ...firing, service: 'users' }, exp_annotations: { summary: 'x', description: 'x' } });
  writeFileSync(join(temp.dir, 'error-rate-wrong.test.yml'), stringify(unitTests));
  const wrong = await promtool(t, ['test', 'rules', 'error-rate-wrong.test.yml'], temp.dir);
  assert.equal(wrong!.exitCode, 1, wrong!.all);
});
