// Axis scales and tick choice shared by every plot.

export function niceStep(span, target) {
  const raw = span / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

export function linearTicks(lo, hi, target = 5) {
  if (!(hi > lo)) return [lo];
  const step = niceStep(hi - lo, target);
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return ticks;
}

export function logTicks(lo, hi) {
  const a = Math.floor(Math.log10(lo)), b = Math.ceil(Math.log10(hi));
  const every = Math.max(1, Math.ceil((b - a) / 6));
  const ticks = [];
  for (let e = a; e <= b; e += every) { const t = 10 ** e; if (t >= lo * 0.999 && t <= hi * 1.001) ticks.push(t); }
  return ticks;
}

// Integer index ticks (rows, columns, positions): whole numbers only.
export function indexTicks(n, target = 6) {
  if (n <= 1) return [0];
  const step = Math.max(1, niceStep(n - 1, target));
  const ticks = [];
  for (let t = 0; t <= n - 1; t += step) ticks.push(Math.round(t));
  return ticks;
}

export function fmt(v) {
  if (v === undefined || v === null) return '–';
  if (typeof v !== 'number') return String(v);
  if (v === -Infinity) return '−∞ (masked)';
  if (v === Infinity) return '∞';
  if (Number.isNaN(v)) return 'NaN';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (Number.isInteger(v) && a < 1e7) return String(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(2).replace(/\.?0+e/, 'e').replace('e+', 'e');
  return String(+v.toPrecision(4));
}

// Maps a data interval onto a pixel interval, linear or base-10 logarithmic.
export function makeScale(lo, hi, p0, p1, log = false) {
  if (log) {
    const l0 = Math.log10(lo), l1 = Math.log10(hi);
    const k = (p1 - p0) / (l1 - l0 || 1);
    return (v) => p0 + (Math.log10(v) - l0) * k;
  }
  const k = (p1 - p0) / (hi - lo || 1);
  return (v) => p0 + (v - lo) * k;
}
