// pe.visionRopeForward against float64 angle tables built as each model's code builds them
// (reference-config.js: Pixtral's PixtralRotaryEmbedding, Qwen2-VL's VisionRotaryEmbedding + rot_pos_emb,
// Llama 4's Llama4VisionRotaryEmbedding), small grids worked by hand, and coded errors, in both builds.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { assertClose, assertCode, describeBuilds } from './helpers.js';
import * as ref from './reference.js';
import * as refc from './reference-config.js';

const TOL = { abs: 2e-6, rel: 2e-6 };

const input = (batch, heads, tokens, D, seed) =>
  ({ data: Float32Array.from(ref.randomFloats(batch * heads * tokens * D, seed)), shape: [batch, heads, tokens, D] });

describeBuilds('vision rope', (pe) => {
  test('each style against the model code\'s float64 angle table; inverse undoes it', () => {
    const cases = [
      ['pixtral', [3, 5], 1, 64, (h, w, m, D) => refc.pixtralAngles(h, w, D, 10000), false],
      ['pixtral', [16, 12], 1, 88, (h, w, m, D) => refc.pixtralAngles(h, w, D, 10000), false],
      ['qwen2vl', [4, 6], 2, 80, (h, w, m, D) => refc.qwen2vlAngles(h, w, m, D, 10000), false],
      ['qwen2vl', [6, 3], 3, 16, (h, w, m, D) => refc.qwen2vlAngles(h, w, m, D, 10000), false],
      ['llama4', [4, 4], 1, 88, (h, w, m, D) => refc.llama4Angles(h, w, D, 10000), true],
      ['llama4', [3, 7], 1, 8, (h, w, m, D) => refc.llama4Angles(h, w, D, 10000), true],
    ];
    for (const [style, grid, m, D, table, interleaved] of cases) {
      const angles = table(grid[0], grid[1], m, D);
      const x = input(2, 3, angles.length, D, D + angles.length);
      const got = pe.visionRopeForward(x, { grid, style, spatialMergeSize: m });
      const half = D / 2;
      const want = refc.ropeRotate(Array.from(x.data), x.shape, { layout: interleaved ? 'interleaved' : 'half',
        invFreq: Array(half).fill(1), position: (b, s, j) => angles[s][j] });
      assertClose(got.data, want, `${style} ${grid} D=${D}`, TOL);
      const back = pe.visionRopeForward(got, { grid, style, spatialMergeSize: m, inverse: true });
      assertClose(back.data, x.data, `${style} inverse`, { abs: 1e-5, rel: 1e-5 });
    }
  });

  test('by hand, D = 8, base 100 (ω_i = 100^(−i/4)): which patch is where and which dims turn with row or column', () => {
    const w1 = Math.pow(100, -0.25), w3 = Math.pow(100, -0.75);
    // pixtral, grid [2, 3]: token 5 is patch (row 1, col 2); pairs (0,4), (1,5) turn by row·ω0, row·ω2,
    // pairs (2,6), (3,7) by col·ω1, col·ω3.
    let x = { data: new Float32Array(6 * 8), shape: [1, 1, 6, 8] };
    for (let t = 0; t < 6; ++t) x.data.fill(1, t * 8, t * 8 + 4);
    let y = pe.visionRopeForward(x, { grid: [2, 3], style: 'pixtral', base: 100 }).data.subarray(5 * 8);
    const angles = [1, 0.1, 2 * w1, 2 * w3];
    assertClose(y, [...angles.map(Math.cos), ...angles.map(Math.sin)], 'pixtral (1, 2)', TOL);
    // qwen2vl, grid [2, 4], merge 2: tokens go block by block, so token 6 is patch (1, 2);
    // ω_k = 100^(−k/2) = 1, 0.1; pairs 0, 1 by row, pairs 2, 3 by column.
    x = { data: new Float32Array(8 * 8), shape: [1, 1, 8, 8] };
    for (let t = 0; t < 8; ++t) x.data.fill(1, t * 8, t * 8 + 4);
    y = pe.visionRopeForward(x, { grid: [2, 4], style: 'qwen2vl', base: 100 }).data.subarray(6 * 8, 7 * 8);
    const q = [1, 0.1, 2, 0.2];
    assertClose(y, [...q.map(Math.cos), ...q.map(Math.sin)], 'qwen2vl token 6 = (1, 2)', TOL);
    // llama4, grid [2, 2]: token 1 is patch (row 0, col 1), counted from 1 → column 2, row 1; interleaved
    // pairs (0,1), (2,3) turn by column·ω, (4,5), (6,7) by row·ω; token 4 is CLS and does not turn.
    x = { data: new Float32Array(5 * 8), shape: [1, 1, 5, 8] };
    for (let t = 0; t < 5; ++t) for (const i of [0, 2, 4, 6]) x.data[t * 8 + i] = 1;
    const all = pe.visionRopeForward(x, { grid: [2, 2], style: 'llama4', base: 100 }).data;
    const l = [2, 0.2, 1, 0.1];
    assertClose(all.subarray(8, 16), l.flatMap((a) => [Math.cos(a), Math.sin(a)]), 'llama4 (0, 1)', TOL);
    assert.deepEqual(all.subarray(32), x.data.subarray(32));
  });

  test('heap tensors in place and out arrays', () => {
    const x = input(1, 2, 8, 16, 4);
    const want = pe.visionRopeForward(x, { grid: [2, 4], style: 'qwen2vl' });
    const t = pe.tensor(x.data, x.shape);
    try {
      assert.equal(pe.visionRopeForward(t, { grid: [2, 4], style: 'qwen2vl', out: t }), t);
      assert.deepEqual(t.read(), want.data);
    } finally {
      t.delete();
    }
    const out = new Float32Array(x.data.length);
    assert.equal(pe.visionRopeForward(x, { grid: [2, 4], style: 'qwen2vl', out }).data, out);
    assert.deepEqual(out, want.data);
  });

  test('errors: bad grid, unknown style, wrong token count, head dim, merge size', () => {
    const x = input(1, 1, 6, 8, 1);
    assertCode(() => pe.visionRopeForward(x, { grid: [6], style: 'pixtral' }), 'SHAPE_MISMATCH', /^grid must be \[h, w\]/);
    assertCode(() => pe.visionRopeForward(x, { grid: [0, 6], style: 'pixtral' }), 'BAD_SIZE', /^grid\[0\]/);
    assertCode(() => pe.visionRopeForward(x, { grid: [2, 3], style: 'siglip' }), 'OUT_OF_RANGE', /^style must be one of 'pixtral', 'qwen2vl', 'llama4', got 'siglip'/);
    assertCode(() => pe.visionRopeForward(x, { grid: [2, 3] }), 'OUT_OF_RANGE', /^style must be one of/);
    assertCode(() => pe.visionRopeForward(x, { grid: [2, 2], style: 'pixtral' }), 'SHAPE_MISMATCH', /x\.shape\[2\] must be the grid's 4 tokens/);
    assertCode(() => pe.visionRopeForward(x, { grid: [2, 3], style: 'llama4' }), 'SHAPE_MISMATCH', /7 tokens \(2x3 \+ CLS\)/);
    assertCode(() => pe.visionRopeForward(x, { grid: [2, 3], style: 'qwen2vl' }), 'SHAPE_MISMATCH', /multiples of spatial_merge_size = 2/);
    assertCode(() => pe.visionRopeForward(input(1, 1, 6, 6, 1), { grid: [2, 3], style: 'pixtral' }), 'ODD_DIM', /head_dim must be a multiple of 4/);
    assertCode(() => pe.visionRopeForward(x, { grid: [2, 3], style: 'pixtral', bse: 10 }), 'OUT_OF_RANGE', /^options\.bse is not an option of visionRopeForward/);
  });
});
