/**
 * The Kubernetes alert objects pass the same validation as every object msx
 * renders, PrometheusRule included (its schema is the Prometheus Operator's
 * CRD), and that validation does catch a wrong rule.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alertRuleObjects } from '../../src/targets/kubernetes/render/alert-rules.js';
import type { KubeObject } from '../../src/targets/kubernetes/render/kube-object.js';
import { validateObjects } from '../../src/targets/kubernetes/render/validate-objects.js';
import { manifestSchema } from '../../src/manifest/schema.js';

const manifest = (alertRules?: string) => manifestSchema.parse({
  version: 1,
  name: 'shop',
  services: { orders: { kind: 'http', port: 3001 } },
  ...(alertRules ? { infrastructure: { kubernetes: { alertRules } } } : {}),
});

test('a ConfigMap by default, a PrometheusRule on request; both valid, and a broken rule is reported by field', () => {
  const [configMap] = alertRuleObjects(manifest(), 'shop') as KubeObject[];
  assert.equal(configMap!.kind, 'ConfigMap');
  assert.deepEqual(validateObjects([configMap!]), []);

  const [rule] = alertRuleObjects(manifest('prometheusRule'), 'shop') as KubeObject[];
  assert.equal(rule!.kind, 'PrometheusRule');
  assert.deepEqual(validateObjects([rule!]), []);

  const broken = structuredClone(rule!) as { spec: { groups: { rules: Record<string, unknown>[] }[] } } & KubeObject;
  const first = broken.spec.groups[0]!.rules[0]!;
  first.exprr = first.expr;
  delete first.expr;
  const issues = validateObjects([broken]);
  assert.ok(issues.some((i) => i.object === 'PrometheusRule/shop-alerts' && /required field "expr"/.test(i.problem)), JSON.stringify(issues));
  assert.ok(issues.some((i) => i.path === '/spec/groups/0/rules/0/exprr' && /unknown field "exprr"/.test(i.problem)), JSON.stringify(issues));
});

test('msx.yaml refuses an alertRules kind msx cannot render', () => {
  const result = manifestSchema.safeParse({ version: 1, name: 'shop', services: { orders: { kind: 'http', port: 3001 } }, infrastructure: { kubernetes: { alertRules: 'serviceMonitor' } } });
  assert.equal(result.success, false);
});
