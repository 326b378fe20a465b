// 2-D RoPE of vision encoders: each patch of an [h, w] grid turns half of its pairs by its row and half by
// its column, in the patch order, frequencies and pair layout of the model's own code (style 'pixtral',
// 'qwen2vl' or 'llama4'; src/posenc/vision_rope.hpp and docs/encodings/rope.md say which is which).
import { bool, choice, fail, num, options, show, size } from './checks.js';

const OPTIONS = ['grid', 'style', 'base', 'spatialMergeSize', 'inverse', 'out'];

/** @param {ReturnType<import('./core.js').createCore>} core */
export function createVisionRope(core) {
  const { M, enums, invoke, tensorArg, output } = core;

  /** x: [batch, heads, tokens, headDim] (tokens = h·w, plus a last CLS token for 'llama4') rotated. */
  function visionRopeForward(x, opts) {
    const o = options(opts, OPTIONS, 'visionRopeForward');
    const grid = o.grid;
    if (!(Array.isArray(grid) || ArrayBuffer.isView(grid)) || grid.length !== 2) {
      fail('SHAPE_MISMATCH', `grid must be [h, w] (patches per column and per row), got ${show(grid)}`);
    }
    const gh = size('grid[0]', grid[0]);
    const gw = size('grid[1]', grid[1]);
    if (o.style === undefined || o.style === null) {
      fail('OUT_OF_RANGE', `style must be one of ${enums.visionRopeStyle.map(show).join(', ')} (the model's scheme), got ${show(o.style)}`);
    }
    const style = choice('style', o.style, enums.visionRopeStyle);
    const base = num('base', o.base, 10000);
    const merge = size('spatialMergeSize', o.spatialMergeSize, 2);
    const inverse = bool('inverse', o.inverse, false);
    const xa = tensorArg('x', x, ['batch', 'heads', 'tokens', 'headDim']);
    const out = output('out', o.out, xa.shape).inPlaceOf(xa);
    const [b, h, s, d] = xa.shape;
    invoke(M, 'visionRopeForward', [xa, b, h, s, d, out, style, gh, gw, base, merge, inverse]);
    return out.result;
  }

  return { visionRopeForward };
}
