/**
 * Latency percentiles from Prometheus histogram buckets, computed the way
 * PromQL's `histogram_quantile` does: find the bucket the rank falls in and
 * interpolate linearly inside it. Callers pass bucket *deltas* over a window
 * (the increase between two scrapes), so percentiles describe that window,
 * not the process's lifetime.
 */

/** One cumulative bucket: how many observations were ≤ `le`. */
export interface Bucket {
  readonly le: number;
  readonly count: number;
}

/**
 * The `q` quantile (0–1) of the observations in `buckets` (cumulative,
 * any order; must include `+Inf`). Undefined when there are no
 * observations. A rank in the `+Inf` bucket returns the highest finite
 * bound, as PromQL does: the histogram cannot say more.
 */
export function histogramQuantile(q: number, buckets: readonly Bucket[]): number | undefined {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`Expected a quantile between 0 and 1, got ${q}`);
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted.at(-1)?.count ?? 0;
  if (sorted.length === 0 || sorted.at(-1)!.le !== Infinity || total <= 0) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const bucket of sorted) {
    if (bucket.count >= rank && bucket.count > lowerCount) {
      if (bucket.le === Infinity) return lowerBound;
      // Counts are cumulative; interpolate between this bucket's bounds.
      return lowerBound + (bucket.le - lowerBound) * ((rank - lowerCount) / (bucket.count - lowerCount));
    }
    lowerBound = bucket.le === Infinity ? lowerBound : bucket.le;
    lowerCount = bucket.count;
  }
  return lowerBound;
}

/** `after - before` per bucket bound; a reset counter (after < before) counts from zero, as PromQL's `increase` does. */
export function bucketDelta(before: readonly Bucket[], after: readonly Bucket[]): Bucket[] {
  const previous = new Map(before.map((b) => [b.le, b.count]));
  return after.map((b) => {
    const was = previous.get(b.le) ?? 0;
    return { le: b.le, count: b.count >= was ? b.count - was : b.count };
  });
}

/** Adds buckets of several instances (same bounds) into one histogram. */
export function sumBuckets(histograms: readonly (readonly Bucket[])[]): Bucket[] {
  const sums = new Map<number, number>();
  for (const histogram of histograms) for (const b of histogram) sums.set(b.le, (sums.get(b.le) ?? 0) + b.count);
  return [...sums].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
}
