// Order statistics for the bench's samples: median, min–max, percentiles.

/** Linear interpolation between the closest ranks. */
export function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (pos - lo);
}

/** { n, median, min, max, p90, p99 } of finite samples. */
export function summarize(samples = []) {
  const s = samples.filter(Number.isFinite).sort((a, b) => a - b);
  return { n: s.length, median: quantile(s, 0.5), min: s[0] ?? NaN, max: s.at(-1) ?? NaN, p90: quantile(s, 0.9), p99: quantile(s, 0.99) };
}

export const median = (samples) => summarize(samples).median;

/** Per-trial differences or sums of paired samples (same iteration), so noise shared by a pair cancels. */
export function paired(a = [], b = [], op) {
  const n = Math.min(a.length, b.length);
  return Array.from({ length: n }, (_, i) => op(a[i], b[i]));
}
