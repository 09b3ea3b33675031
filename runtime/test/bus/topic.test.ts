import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertTopicPattern, topicMatches } from '../../src/bus/topic.js';
import { isBusError } from '../../src/bus/index.js';

const cases: Array<[pattern: string, key: string, matches: boolean]> = [
  ['order.created', 'order.created', true],
  ['order.created', 'order.updated', false],
  ['order.*', 'order.created', true],
  ['order.*', 'order', false],
  ['order.*', 'order.item.added', false],
  ['*.created', 'order.created', true],
  ['*', 'order', true],
  ['*', 'order.created', false],
  ['order.#', 'order', true],
  ['order.#', 'order.created', true],
  ['order.#', 'order.item.added', true],
  ['order.#', 'orders.created', false],
  ['#', 'anything.at.all', true],
  ['#', 'x', true],
  ['#.created', 'created', true],
  ['#.created', 'order.item.created', true],
  ['#.created', 'order.item.updated', false],
  ['order.#.added', 'order.added', true],
  ['order.#.added', 'order.item.line.added', true],
  ['order.#.added', 'order.item.line.removed', false],
  ['*.#.*', 'a', false],
  ['*.#.*', 'a.b', true],
  ['#.#', 'a.b.c', true],
  ['a.*.#', 'a.b', true],
  ['a.*.#', 'a', false],
];

test('topic patterns follow AMQP semantics', () => {
  for (const [pattern, key, expected] of cases) {
    assert.equal(topicMatches(pattern, key), expected, `${pattern} vs ${key}`);
  }
});

test('invalid patterns are refused with a coded error', () => {
  for (const bad of ['', 'order..created', 'order.*x', 'order created', 'a.#b', 42]) {
    assert.throws(() => assertTopicPattern(bad), (err) => isBusError(err) && err.code === 'BUS_INVALID_PATTERN', String(bad));
  }
  for (const good of ['#', '*', 'order.*', 'order.#', 'a-b.c_d.*']) assertTopicPattern(good);
});
