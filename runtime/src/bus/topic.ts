/**
 * AMQP topic semantics, shared by both adapters so that a pattern means the
 * same thing with or without a broker: a routing key is dot-separated words,
 * `*` matches exactly one word and `#` zero or more.
 */
import { BusError } from './errors.js';

const WORD = /^[A-Za-z0-9_-]+$/;

/** Throws `BUS_INVALID_TYPE` unless `type` is a non-empty dot-separated list of words. */
export function assertEventType(type: unknown): asserts type is string {
  if (typeof type !== 'string' || type.length === 0 || type.length > 255 || !type.split('.').every((w) => WORD.test(w))) {
    throw new BusError('BUS_INVALID_TYPE', `Expected the event \`type\` to be dot-separated words of letters, digits, "_" or "-" (e.g. "order.created"), got ${JSON.stringify(type)}`);
  }
}

/** Throws `BUS_INVALID_PATTERN` unless every word of `pattern` is a word, `*` or `#`. */
export function assertTopicPattern(pattern: unknown): asserts pattern is string {
  if (typeof pattern !== 'string' || pattern.length === 0 || pattern.length > 255 || !pattern.split('.').every((w) => w === '*' || w === '#' || WORD.test(w))) {
    throw new BusError('BUS_INVALID_PATTERN', `Expected a topic pattern of dot-separated words, "*" (one word) or "#" (zero or more words), e.g. "order.*", got ${JSON.stringify(pattern)}`);
  }
}

/** Whether routing key `key` matches topic `pattern`. */
export function topicMatches(pattern: string, key: string): boolean {
  return matchWords(pattern.split('.'), 0, key.split('.'), 0);
}

function matchWords(p: readonly string[], i: number, k: readonly string[], j: number): boolean {
  while (i < p.length) {
    const word = p[i];
    if (word === '#') {
      // Collapse consecutive `#`s, then try every split point for the rest.
      while (i + 1 < p.length && p[i + 1] === '#') i++;
      if (i === p.length - 1) return true;
      for (let skip = j; skip <= k.length; skip++) {
        if (matchWords(p, i + 1, k, skip)) return true;
      }
      return false;
    }
    if (j >= k.length) return false;
    if (word !== '*' && word !== k[j]) return false;
    i++;
    j++;
  }
  return j === k.length;
}
