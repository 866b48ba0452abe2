// Small statistics helpers (nearest-rank percentiles on sorted copies).
export const sorted = (values) => Float64Array.from(values).sort();

/** Nearest-rank percentile, p in [0, 100]. */
export const percentile = (values, p) => {
  const s = sorted(values);
  if (s.length === 0) return NaN;
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank];
};

export const median = (values) => {
  const s = sorted(values);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

export const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;

export const summary = (values) => ({
  n: values.length,
  p25: percentile(values, 25),
  median: median(values),
  p90: percentile(values, 90),
  p99: percentile(values, 99),
  min: Math.min(...values),
  max: Math.max(...values),
  mean: mean(values),
});

/** Least-squares slope of y over x (NaN with fewer than two distinct x). */
export const slope = (xs, ys) => {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = mean(xs);
  const my = mean(ys);
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i += 1) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
};
