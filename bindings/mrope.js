// Multimodal RoPE of the Qwen2-VL family: which position stream (t, h, w) turns each frequency, and the
// position ids of a text/image/video sequence as Qwen2-VL's get_rope_index builds them.
import { fail, show } from './checks.js';
import { integer, number, numbers, object } from './config-fields.js';

/**
 * Which position stream turns frequency j (0 … dRot/2 − 1) of an M-RoPE description: 't', 'h' or 'w'.
 * Contiguous sections (Qwen2/2.5-VL) or Qwen3-VL's interleaving: h at j ≡ 1, w at j ≡ 2 (mod 3) while
 * j < 3·section[axis], t elsewhere.
 */
export function mropeFrequencyAxes({ mropeSection, mropeInterleaved = false }) {
  const s = numbers('mropeSection', mropeSection);
  if (!s || s.length !== 3 || !s.every((x) => Number.isInteger(x) && x >= 0)) {
    fail('SHAPE_MISMATCH', `mropeSection must be 3 non-negative integers, got ${show(mropeSection)}`);
  }
  const half = s[0] + s[1] + s[2];
  const axes = [];
  if (!mropeInterleaved) {
    s.forEach((len, a) => { for (let i = 0; i < len; ++i) axes.push('thw'[a]); });
    return axes;
  }
  for (let j = 0; j < half; ++j) {
    let axis = 't';
    if (j % 3 === 1 && j < 3 * s[1]) axis = 'h';
    else if (j % 3 === 2 && j < 3 * s[2]) axis = 'w';
    axes.push(axis);
  }
  return axes;
}

/**
 * Qwen2-VL `get_rope_index` position ids for a sequence of segments, as { data: Int32Array(3·seq),
 * shape: [3, seq], next } (rows t, h, w; `next` is where the following token's positions start).
 * Image/video grids are the vision tower's [t, h, w] patches; the language model sees
 * t · (h/merge) · (w/merge) tokens. With tokensPerSecond (Qwen2.5-VL) video frame i sits at
 * i · int(secondPerGridT) · tokensPerSecond and images at time 0; without it (Qwen2-VL) at i.
 */
export function mropePositions(segments, { spatialMergeSize = 2, tokensPerSecond } = {}) {
  if (!Array.isArray(segments)) fail('SHAPE_MISMATCH', `segments must be an array, got ${show(segments)}`);
  const merge = integer('spatialMergeSize', spatialMergeSize);
  const tps = number('tokensPerSecond', tokensPerSecond);
  const rows = [[], [], []];
  let start = 0;
  segments.forEach((seg, k) => {
    const at = `segments[${k}]`;
    object(at, seg) ?? fail('SHAPE_MISMATCH', `${at} must be an object, got ${show(seg)}`);
    if (seg.type === 'text') {
      const n = integer(`${at}.length`, seg.length, 0) ?? fail('SHAPE_MISMATCH', `${at}.length must be an integer >= 0, got undefined`);
      for (let i = 0; i < n; ++i) for (const r of rows) r.push(start + i);
      start += n;
      return;
    }
    if (seg.type !== 'image' && seg.type !== 'video') {
      fail('OUT_OF_RANGE', `${at}.type must be one of 'text', 'image', 'video', got ${show(seg.type)}`);
    }
    const grid = numbers(`${at}.grid`, seg.grid, 3);
    if (!grid) fail('SHAPE_MISMATCH', `${at}.grid must be [t, h, w], got undefined`);
    grid.forEach((g, i) => integer(`${at}.grid[${i}]`, g));
    const [t, h, w] = grid;
    if (h % merge || w % merge) fail('SHAPE_MISMATCH', `${at}.grid [${grid.join(', ')}]: h and w must be multiples of spatialMergeSize ${merge}`);
    const gh = h / merge, gw = w / merge;
    const spgt = number(`${at}.secondPerGridT`, seg.secondPerGridT) ?? 1;
    const timeOf = (i) => {
      if (tps === undefined) return i;
      if (seg.type === 'image') return 0;
      return Math.trunc(i * Math.trunc(spgt) * tps);
    };
    let last = start;
    for (let i = 0; i < t; ++i) {
      for (let y = 0; y < gh; ++y) {
        for (let x = 0; x < gw; ++x) {
          const p = [start + timeOf(i), start + y, start + x];
          p.forEach((v, r) => rows[r].push(v));
          last = Math.max(last, ...p);
        }
      }
    }
    start = last + 1;
  });
  const seq = rows[0].length;
  const data = new Int32Array(3 * seq);
  rows.forEach((r, i) => data.set(r, i * seq));
  return { data, shape: [3, seq], next: start };
}
