// Smoothing of noisy metric series, as TensorBoard's slider does.

/** Exponential moving average with TensorBoard's debiasing, so the start is not pulled to 0. */
export function smooth(ys: readonly number[], weight: number): number[] {
  const out: number[] = [];
  let last = 0;
  for (let i = 0; i < ys.length; i++) {
    last = last * weight + (1 - weight) * ys[i]!;
    out.push(last / (1 - weight ** (i + 1)));
  }
  return out;
}
