// xPos panel: how xPos makes q·k decay with distance where plain RoPE does not, and the per-pair scale.
import { Heatmap } from '../plots/heatmap.js';
import { LinePlot } from '../plots/line-plot.js';
import { controlsRow, errorBox, grid, note, num, numberInput, onChange, redrawer } from '../ui.js';

export function mountXpos(root, pe) {
  const xc = controlsRow(root);
  const headDim = numberInput(xc, 'head dim', { value: 64, min: 2, step: 2, id: 'xpos-headdim' });
  const gamma = numberInput(xc, 'γ', { value: 0.4, min: 0, step: 0.1, id: 'xpos-gamma' });
  const scaleBase = numberInput(xc, 'scale base B', { value: 512, min: 1, step: 64, id: 'xpos-scalebase' });
  const dist = numberInput(xc, 'max distance shown', { value: 2048, min: 2, step: 256, id: 'xpos-dist' });
  const xErrors = errorBox(root);
  const xg = grid(root);
  const decayPlot = new LinePlot(xg, { title: 'q·k for q = k = ones, query at Δ, key at 0', xLabel: 'distance Δ', yLabel: 'q·k', height: 260 });
  const scaleMap = new Heatmap(xg, { title: 'Scale of each query pair: ζ_j^(n/B)', xLabel: 'position n', yLabel: 'pair j', height: 260, colour: 'sequential', valueLabel: 'scale' });
  note(root, 'ζ_j = (2j/d + γ)/(1 + γ) < 1: the query is scaled by ζ^(n/B) and the key by ζ^(−m/B), so the product carries ζ^((n−m)/B) — a decay with distance that no choice of centre changes. The fast pairs (small j) decay most.');

  const drawXpos = redrawer(xErrors, () => {
    const D = num(headDim), N = num(dist), opts = { gamma: num(gamma), scaleBase: num(scaleBase) };
    const n = 160, step = Math.max(1, Math.floor(N / (n - 1))), deltas = Int32Array.from({ length: n }, (_, i) => i * step);
    const q = { data: new Float32Array(n * D).fill(1), shape: [1, 1, n, D] }, k = { data: new Float32Array(D).fill(1), shape: [1, 1, 1, D] };
    const kPos = Int32Array.of(0);
    const dotAll = (qq, kk) => Array.from({ length: n }, (_, t) => { let s = 0; for (let c2 = 0; c2 < D; c2++) s += qq[t * D + c2] * kk[c2]; return s; });
    const xq = pe.xposApply(q, { ...opts, role: 'q', positions: deltas }).data, xk = pe.xposApply(k, { ...opts, role: 'k', positions: kPos }).data;
    const rq = pe.ropeForward(q, { layout: 'interleaved', positions: deltas }).data, rk = pe.ropeForward(k, { layout: 'interleaved', positions: kPos }).data;
    decayPlot.draw([{ name: 'RoPE', x: Array.from(deltas), y: dotAll(rq, rk), colour: '#4a4a4a' }, { name: 'xPos', x: Array.from(deltas), y: dotAll(xq, xk), colour: '#d1495b' }]);
    const P = 64, ps = Int32Array.from({ length: P }, (_, i) => Math.round(i * N / (P - 1)));
    const ones = { data: new Float32Array(P * D).fill(1), shape: [1, 1, P, D] };
    const xs = pe.xposApply(ones, { ...opts, role: 'q', positions: ps }).data;
    const half = D / 2, M = new Float32Array(half * P);
    for (let j = 0; j < half; j++) for (let p = 0; p < P; p++) M[j * P + p] = Math.hypot(xs[p * D + 2 * j], xs[p * D + 2 * j + 1]) / Math.SQRT2;
    scaleMap.draw({ data: M, rows: half, cols: P, xTick: (i) => ps[i], min: 0, max: 1 });
  });

  onChange([headDim, gamma, scaleBase, dist], drawXpos.schedule);
  drawXpos();
}
