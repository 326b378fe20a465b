// The core of the bindings: features, the forms of `out`, tensor and positions arguments, owned results,
// C++ errors arriving as coded PosencErrors, unknown option keys.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { assertClose, assertCode, describeBuilds, x3, x4, zeros } from './helpers.js';
import * as ref from './reference.js';

describeBuilds('core', (pe, build) => {
  test('features say which build runs', () => {
    assert.equal(pe.features.simd, build.simd);
    assert.match(pe.features.version, /^\d+\.\d+\.\d+/);
    assert.equal(typeof pe.features.arch, 'string');
    if (!build.simd) assert.equal(pe.features.arch, 'scalar');
  });

  test('out: a typed array, a {data, shape} and the same input array all receive the result', () => {
    const x = ref.randomFloats(2 * 1 * 3 * 4, 41);
    const expected = ref.ropeForward([...x], [2, 1, 3, 4]);
    const into = new Float32Array(24);
    const r1 = pe.ropeForward({ data: x, shape: [2, 1, 3, 4] }, { out: into });
    assert.equal(r1.data, into);
    assertClose(into, expected, 'typed array out');
    const t = { data: new Float32Array(24), shape: [2, 1, 3, 4] };
    assert.equal(pe.ropeForward({ data: x, shape: [2, 1, 3, 4] }, { out: t }).data, t.data);
    assertClose(t.data, expected, '{data, shape} out');
    const same = Float32Array.from(x);
    pe.ropeForward({ data: same, shape: [2, 1, 3, 4] }, { out: same });
    assertClose(same, expected, 'in place on a JS array');
  });

  test('results of copying calls are owned copies that survive later calls and memory growth', () => {
    const t = pe.sinusoidalTable(8, 4);
    const before = Array.from(t.data);
    const big = pe.alloc([64 * 1024 * 1024 / 4]); // 64 MiB: grows memory
    big.delete();
    pe.sinusoidalTable(8, 4, { base: 3 });
    assert.equal(t.data.length, 32);
    assert.deepEqual(Array.from(t.data), before);
  });

  test('positions given as a tensor must be shaped (seq,) or (batch, seq)', () => {
    const x = x4(2, 1, 3, 4, 0.5);
    const wrong = { data: Int32Array.of(0, 1, 2, 3, 4, 5), shape: [3, 2] };
    assertCode(() => pe.ropeForward(x, { positions: wrong }), 'SHAPE_MISMATCH', /positions\.shape must be \[3\].*\[2, 3\].*got \[3, 2\]/);
    assertCode(() => pe.xposApply(x, { positions: wrong }), 'SHAPE_MISMATCH', /positions\.shape/);
    assertCode(() => pe.learnedForward(x3(2, 3, 4), zeros(8, 4), { positions: wrong }), 'SHAPE_MISMATCH', /positions\.shape/);
    assertCode(() => pe.ropeForward(x, { positions: { data: new Int32Array(6), shape: [6] } }), 'SHAPE_MISMATCH', /got \[6\]/);
    // The accepted forms agree with each other.
    const perRow = pe.ropeForward(x, { positions: { data: Int32Array.of(5, 6, 7, 5, 6, 7), shape: [2, 3] } }).data;
    assertClose(pe.ropeForward(x, { positions: { data: Int32Array.of(5, 6, 7), shape: [3] } }).data, perRow, '(seq,) tensor');
    assertClose(pe.ropeForward(x, { positions: Int32Array.of(5, 6, 7) }).data, perRow, 'bare (seq,)');
    assertClose(pe.ropeForward(x, { offset: 5 }).data, perRow, 'offset');
  });

  test('out as {data, shape} must have the result\'s shape', () => {
    assertCode(() => pe.sinusoidalTable(2, 4, { out: { data: new Float32Array(8), shape: [4, 2] } }), 'SHAPE_MISMATCH', /out\.shape must be \[2, 4\], got \[4, 2\]/);
    const out = { data: new Float32Array(8), shape: [2, 4] };
    assert.equal(pe.sinusoidalTable(2, 4, { out }).data, out.data);
  });

  test('C++ errors arrive as coded Errors, never as a bare number', () => {
    try {
      pe.sinusoidalTable(4, 7);
      assert.fail('no throw');
    } catch (e) {
      assert.equal(typeof e, 'object');
      assert.ok(e instanceof Error && e instanceof pe.PosencError);
      assert.equal(e.name, 'PosencError');
      assert.equal(e.message, 'd must be even, got 7');
    }
  });

  test('an unknown option key is OUT_OF_RANGE naming it and the closest known one; rope_scaling keys are exempt', () => {
    const x = x4(1, 1, 2, 4);
    assertCode(() => pe.ropeForward(x, { ofset: 5 }), 'OUT_OF_RANGE', /^options\.ofset is not an option of ropeForward \(did you mean 'offset'\?\)/);
    assertCode(() => pe.sdpa(x, x, x, { casual: true }), 'OUT_OF_RANGE', /casual.*did you mean 'causal'/);
    assertCode(() => pe.t5Buckets(Int32Array.of(1), { num_buckets: 8 }), 'OUT_OF_RANGE', /num_buckets.*did you mean 'numBuckets'/);
    assertCode(() => new pe.RotaryPositionalEmbedding({ dim: 8, max_len: 4 }), 'OUT_OF_RANGE', /^config\.max_len .*did you mean 'maxLen'/);
    assertCode(() => pe.alibiBias(2, 2, 2, { zzzzzzzz: 1 }), 'OUT_OF_RANGE', /^options\.zzzzzzzz is not an option of alibiBias; it takes 'qOffset', 'mode', 'out'$/);
    // A key holding undefined changes nothing, so it is not an error; keys inside `scaling` are the config's.
    assert.equal(pe.alibiSlopes(2, { outt: undefined }).length, 2);
    assert.equal(pe.ropeForward(x, { scaling: { rope_type: 'linear', factor: 2, some_new_key: 1 } }).data.length, 8);
  });

  test('enum names come from the C++ side, listed in full', () => {
    assertCode(() => pe.ropeParams(8, { scaling: { rope_type: 'ntk' } }), 'OUT_OF_RANGE',
      /'default', 'linear', 'dynamic', 'yarn', 'llama3', 'longrope', 'proportional', got 'ntk'/);
    assertCode(() => pe.alibiBias(2, 2, 2, { mode: 'decoder' }), 'OUT_OF_RANGE', /'causal', 'symmetric', 'key_only', got 'decoder'/);
    assertCode(() => pe.ropeForward(x4(1, 1, 1, 4), { layout: 'neox' }), 'OUT_OF_RANGE', /^layout must be one of 'half', 'interleaved', got 'neox'$/);
    assertCode(() => pe.visionRopeForward(x4(1, 1, 4, 4), { grid: [2, 2], style: 'vit' }), 'OUT_OF_RANGE', /^style must be one of 'pixtral', 'qwen2vl', 'llama4', got 'vit'$/);
  });
});
