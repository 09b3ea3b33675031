/** AMQP topic matching, as the bus routes: `*` is exactly one word, `#` zero or more. */
export function topicMatches(pattern: string, type: string): boolean {
  const match = (p: readonly string[], t: readonly string[]): boolean => {
    if (p.length === 0) return t.length === 0;
    const [head, ...rest] = p;
    if (head === '#') return match(rest, t) || (t.length > 0 && match(p, t.slice(1)));
    return t.length > 0 && (head === '*' || head === t[0]) && match(rest, t.slice(1));
  };
  return match(pattern.split('.'), type.split('.'));
}
