/**
 * AMQP topic matching, as the bus routes (runtime/src/bus/topic.ts): `*` is
 * exactly one dot-separated word, `#` zero or more. Here to tell which
 * consumer groups an event type reaches, without loading the runtime.
 */
export function topicMatches(pattern: string, type: string): boolean {
  return match(pattern.split('.'), 0, type.split('.'), 0);
}

function match(p: readonly string[], i: number, words: readonly string[], j: number): boolean {
  if (i === p.length) return j === words.length;
  if (p[i] === '#') {
    for (let k = j; k <= words.length; k++) if (match(p, i + 1, words, k)) return true;
    return false;
  }
  if (j === words.length) return false;
  return (p[i] === '*' || p[i] === words[j]) && match(p, i + 1, words, j + 1);
}
