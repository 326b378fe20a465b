// RoPE configured from a model's config.json (bindings/rope-from-config.js): pe.ropeFromConfig's frequencies
// against the float64 reference of HF modeling_rope_utils ROPE_INIT_FUNCTIONS for every fixture, and
// pe.ropeForward / RotaryPositionalEmbedding given { config } or { rope } against the explicit options and
// the float64 rotation (HF modeling_llama.apply_rotary_pos_emb; modeling_qwen2_vl and modeling_qwen3_vl
// for M-RoPE), at positions up to 2^31 − 1, in both builds.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';

import { assertClose, assertCode, describeBuilds } from './helpers.js';
import * as ref from './reference.js';
import * as refc from './reference-config.js';

const DIR = new URL('../fixtures/configs/', import.meta.url);
const fixture = (name) => JSON.parse(fs.readFileSync(new URL(name, DIR), 'utf8'));
const FIXTURES = fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const TOL = { abs: 2e-6, rel: 2e-6 };
const POSITIONS = [0, 1, 65537, 2147483647];

// The float64 frequencies of a description: HF's init function for its rope_type.
function referenceFrequencies(d, seqLen) {
  if (d.ropeType === 'proportional') {
    // HF modeling_rope_utils._compute_proportional_rope_parameters (Gemma 4).
    return { invFreq: refc.proportionalInvFreq(d.headDim, d.base, d.scaling.partial_rotary_factor, d.scaling.factor ?? 1), attentionFactor: 1 };
  }
  return ref.ropeParams(d.dRot, { base: d.base, scaling: d.scaling, maxPositionEmbeddings: d.maxPositionEmbeddings ?? undefined, seqLen });
}

// Each RoPE layer type of a fixture, with the ropeFromConfig options that select it.
function ropeLayerTypes(pe, config) {
  const types = [...new Set(pe.describeLayers(config).filter((e) => e.rope).map((e) => e.layerType))];
  return types.map((layerType) => (types.length > 1 ? { layerType } : {}));
}

const input = (headDim, seq = POSITIONS.length, seed = 3) => ({ data: Float32Array.from(ref.randomFloats(seq * headDim, seed)), shape: [1, 1, seq, headDim] });

describeBuilds('rope from config', (pe) => {
  test('every fixture: ropeFromConfig invFreq and attention factor equal the float64 reference', () => {
    let checked = 0;
    for (const f of FIXTURES) {
      const c = fixture(f);
      for (const sel of ropeLayerTypes(pe, c)) {
        for (const seqLen of [undefined, 1000, 300000]) {
          const d = pe.ropeFromConfig(c, { ...sel, seqLen });
          const want = referenceFrequencies(d, seqLen);
          assert.ok(d.invFreq instanceof Float32Array);
          assert.equal(d.invFreq.length, d.dRot / 2);
          assertClose(d.invFreq, want.invFreq, `${f} ${JSON.stringify(sel)} seqLen ${seqLen}`, TOL);
          assertClose([d.attentionFactor], [want.attentionFactor], `${f} attention factor`, TOL);
          checked++;
        }
      }
    }
    assert.ok(checked >= 3 * 36, `${checked} descriptions`);
  });

  test('the description has the contract fields, and describeLayers carries it', () => {
    const d = pe.ropeFromConfig(fixture('qwen2.5-vl-7b.json'));
    for (const key of ['ropeType', 'base', 'headDim', 'dRot', 'layout', 'invFreq', 'attentionFactor', 'maxPositionEmbeddings',
      'originalMaxPositionEmbeddings', 'mropeSection', 'mropeInterleaved', 'scaling']) assert.ok(key in d, key);
    const layers = pe.describeLayers(fixture('gemma-3-4b.json'));
    assert.ok(layers[5].rope.invFreq instanceof Float32Array);
    assert.equal(layers[0].rope, layers[1].rope); // one description per layer type
    assertClose(layers[5].rope.invFreq, pe.ropeFromConfig(fixture('gemma-3-4b.json'), { layerType: 'full_attention' }).invFreq, 'gemma full', { abs: 0, rel: 0 });
  });

  // Gemma 4 (proportional) and Llama 4 Scout (llama3, low == high): kernel rope_types of their own.
  test('Gemma 4 proportional: 64 turning pairs of 256, the rest zero; Llama 4 Scout: a step at wavelength 8192', () => {
    const g = pe.ropeFromConfig(fixture('gemma-4-26b-a4b.v5.json'), { layerType: 'full_attention' });
    assert.deepEqual([g.headDim, g.dRot, g.invFreq.length], [512, 512, 256]);
    assert.equal(g.invFreq.filter((v) => v !== 0).length, 64);
    const s = pe.ropeFromConfig(fixture('llama-4-scout.json'));
    const step = Array.from({ length: 64 }, (_, j) => {
      const inv = Math.pow(500000, (-2 * j) / 128);
      return (2 * Math.PI) / inv < 8192 ? inv : inv / 16;
    });
    assertClose(s.invFreq, step, 'scout step', TOL);
  });

  test('every fixture: ropeForward with { config } and with { rope } equal the explicit options and the float64 rotation, positions up to 2^31 - 1', () => {
    const positions = Int32Array.from(POSITIONS);
    for (const f of FIXTURES) {
      const c = fixture(f);
      for (const sel of ropeLayerTypes(pe, c)) {
        const d = pe.ropeFromConfig(c, { ...sel, seqLen: 1000 });
        const x = input(d.headDim);
        const what = `${f} ${JSON.stringify(sel)}`;
        const got = pe.ropeForward(x, { config: c, ...sel, seqLen: 1000, positions });
        assertClose(got.data, refc.ropeRotate(Array.from(x.data), x.shape, { ...d, ...referenceFrequencies(d, 1000), position: (b, s) => POSITIONS[s] }), what, TOL);
        assert.deepEqual(pe.ropeForward(x, { rope: d, positions }).data, got.data, `${what} rope`);
        const roundTrip = JSON.parse(JSON.stringify(d));
        assert.deepEqual(pe.ropeForward(x, { rope: roundTrip, positions }).data, got.data, `${what} JSON round trip`);
        // Every variant is one kernel call: the explicit options give the same bits.
        const explicit = pe.ropeForward(x, { dRot: d.dRot, base: d.base, layout: d.layout, scaling: d.scaling ?? undefined,
          maxPositionEmbeddings: d.maxPositionEmbeddings ?? undefined, seqLen: 1000, positions });
        assert.deepEqual(got.data, explicit.data, `${what} explicit`);
      }
    }
  });

  test('explicit options override the config; out and heap tensors work on the assembled path', () => {
    const c = fixture('llama-3.1-8b.json');
    const x = input(128);
    const positions = Int32Array.from(POSITIONS);
    const d = pe.ropeFromConfig(c);
    assert.deepEqual(pe.ropeForward(x, { config: c, base: 1000, positions }).data,
      pe.ropeForward(x, { dRot: 128, base: 1000, layout: 'half', scaling: d.scaling, maxPositionEmbeddings: 131072, positions }).data);
    assert.deepEqual(pe.ropeForward(x, { config: c, scaling: null, layout: 'interleaved', positions }).data,
      pe.ropeForward(x, { base: 500000, layout: 'interleaved', positions }).data);
    const g = fixture('gemma-4-26b-a4b.v5.json');
    const gx = input(512);
    const want = pe.ropeForward(gx, { config: g, layerType: 'full_attention', positions });
    const t = pe.tensor(gx.data, gx.shape);
    try {
      assert.equal(pe.ropeForward(t, { config: g, layerType: 'full_attention', positions, out: t }), t);
      assert.deepEqual(t.read(), want.data);
    } finally {
      t.delete();
    }
    const out = new Float32Array(gx.data.length);
    assert.equal(pe.ropeForward(gx, { config: g, layerType: 'full_attention', positions, out }).data, out);
    assert.deepEqual(out, want.data);
  });

  // HF Qwen2VL apply_multimodal_rotary_pos_emb (contiguous sections) and Qwen3VLTextRotaryEmbedding
  // .apply_interleaved_mrope: pair j turns with the position of its stream.
  test('M-RoPE: positions [3, seq] and [batch, 3, seq] turn each pair with its stream (Qwen2.5-VL, Qwen3-VL)', () => {
    const ids = pe.mropePositions([{ type: 'text', length: 2 }, { type: 'image', grid: [1, 4, 6] }, { type: 'text', length: 3 }]);
    const seq = ids.shape[1];
    ids.data[seq - 1] = 2147483647; // the last token's t far out, h and w small
    for (const f of ['qwen2.5-vl-7b.json', 'qwen3-vl-8b.json']) {
      const c = fixture(f);
      const d = pe.ropeFromConfig(c);
      const axes = refc[d.mropeInterleaved ? 'mropeInterleavedAxes' : 'mropeContiguousAxes'](d.mropeSection).map((a) => 'thw'.indexOf(a));
      const x = input(d.headDim, seq, 9);
      const got = pe.ropeForward(x, { config: c, positions: ids });
      const want = refc.ropeRotate(Array.from(x.data), x.shape, { ...d, ...referenceFrequencies(d), position: (b, s, j) => ids.data[axes[j] * seq + s] });
      assertClose(got.data, want, f, TOL);
      assert.deepEqual(pe.ropeForward(x, { rope: d, positions: ids }).data, got.data, `${f} rope`);
      // Batch first: [batch, 3, seq], rows differing.
      const two = { data: new Float32Array(2 * x.data.length), shape: [2, 1, seq, d.headDim] };
      two.data.set(x.data);
      two.data.set(x.data, x.data.length);
      const shifted = Int32Array.from(ids.data, (p) => Math.min(p + 5, 2147483647));
      const batched = { data: new Int32Array(6 * seq), shape: [2, 3, seq] };
      batched.data.set(ids.data);
      batched.data.set(shifted, 3 * seq);
      const both = pe.ropeForward(two, { config: c, positions: batched });
      assert.deepEqual(both.data.subarray(0, x.data.length), got.data);
      assert.deepEqual(both.data.subarray(x.data.length), pe.ropeForward(x, { config: c, positions: { data: shifted, shape: [3, seq] } }).data);
      // One stream (text only): t = h = w, plain RoPE.
      const text = Int32Array.from({ length: seq }, (_, i) => i);
      assert.deepEqual(pe.ropeForward(x, { config: c, positions: text }).data,
        pe.ropeForward(x, { config: c, positions: { data: Int32Array.from([...text, ...text, ...text]), shape: [3, seq] } }).data);
    }
  });

  test('RotaryPositionalEmbedding({ config, layerType }) equals ropeForward({ config })', () => {
    const c = fixture('gemma-3-4b.v5.json');
    const q = input(256, 4, 1), k = input(256, 4, 2);
    const m = new pe.RotaryPositionalEmbedding({ config: c, layerType: 'full_attention' });
    try {
      assert.equal(m.dim, 256);
      const [rq, rk] = m.forward(q, k, { offset: 7 });
      assertClose(rq.data, pe.ropeForward(q, { config: c, layerType: 'full_attention', offset: 7 }).data, 'q', TOL);
      assertClose(rk.data, pe.ropeForward(k, { config: c, layerType: 'full_attention', offset: 7 }).data, 'k', TOL);
    } finally {
      m.delete();
    }
  });

  test('RotaryPositionalEmbedding from Gemma 4 (proportional), Llama 4 Scout and M-RoPE configs equals ropeForward', () => {
    const positions = Int32Array.from(POSITIONS);
    for (const [f, layerType] of [['gemma-4-26b-a4b.v5.json', 'full_attention'], ['llama-4-scout.json', undefined],
      ['qwen2.5-vl-7b.json', undefined]]) {
      const c = fixture(f);
      const d = pe.ropeFromConfig(c, { layerType });
      const q = input(d.dRot, POSITIONS.length, 4), k = input(d.dRot, POSITIONS.length, 5);
      const m = new pe.RotaryPositionalEmbedding({ config: c, layerType, maxLen: 64 });
      try {
        const [rq, rk] = m.forward(q, k, { positions });
        assertClose(rq.data, pe.ropeForward(q, { config: c, layerType, positions }).data, `${f} q`, TOL);
        assertClose(rk.data, pe.ropeForward(k, { config: c, layerType, positions }).data, `${f} k`, TOL);
      } finally {
        m.delete();
      }
    }
    // M-RoPE module: t, h, w streams, and one stream as t = h = w.
    const c = fixture('qwen3-vl-8b.json');
    const d = pe.ropeFromConfig(c);
    const ids = pe.mropePositions([{ type: 'text', length: 2 }, { type: 'image', grid: [1, 4, 4] }, { type: 'text', length: 2 }]);
    const seq = ids.shape[1];
    const q = input(d.dRot, seq, 6), k = input(d.dRot, seq, 7);
    const m = new pe.RotaryPositionalEmbedding({ config: c });
    try {
      assert.deepEqual(m.mropeSection, d.mropeSection);
      const [rq] = m.forward(q, k, { positions: ids });
      assertClose(rq.data, pe.ropeForward(q, { config: c, positions: ids }).data, 'qwen3-vl module streams', TOL);
      const text = Int32Array.from({ length: seq }, (_, i) => i + 1000);
      const [tq] = m.forward(q, k, { positions: text });
      assertClose(tq.data, pe.ropeForward(q, { config: c, positions: text }).data, 'qwen3-vl module one stream', TOL);
    } finally {
      m.delete();
    }
  });

  test('M-RoPE by hand: section [1, 1, 2] contiguous turns pairs with t, h, w, w; interleaved with t, h, w, t', () => {
    // One head, dRot 8, base 10000: ω = 1, 0.1, 0.01, 0.001; pair j is (j, j + 4). Positions t=3, h=5, w=7.
    const positions = { data: Int32Array.from([3, 5, 7]), shape: [3, 1] };
    const x = { data: Float32Array.from([1, 1, 1, 1, 0, 0, 0, 0]), shape: [1, 1, 1, 8] };
    const omega = [1, 0.1, 0.01, 0.001];
    for (const [interleaved, pos] of [[false, [3, 5, 7, 7]], [true, [3, 5, 7, 3]]]) {
      const got = pe.ropeForward(x, { mropeSection: [1, 1, 2], mropeInterleaved: interleaved, positions });
      const want = [...omega.map((w, j) => Math.cos(pos[j] * w)), ...omega.map((w, j) => Math.sin(pos[j] * w))];
      assertClose(got.data, want, `interleaved ${interleaved}`, TOL);
    }
    assertCode(() => pe.ropeForward(x, { mropeSection: [1, 1, 1], positions }), 'SHAPE_MISMATCH',
      /^mropeSection must be 3 sizes >= 0 summing to dRot\/2 = 4 \(t, h, w\), got \[1, 1, 1\]/);
    assertCode(() => pe.ropeForward(x, { mropeSection: [1, 1, 2], positions: { data: Int32Array.from([3, 5, 7, 1]), shape: [1, 4, 1] } }),
      'SHAPE_MISMATCH', /^positions\.shape must be \[3, 1\] or \[1, 3, 1\]/);
    assertCode(() => pe.ropeForward(x, { mropeSection: [1, 1, 2], positions: { data: Int32Array.from([3, -5, 7]), shape: [3, 1] } }),
      'BAD_POSITION', /positions\[1\] must be >= 0, got -5/);
  });

  test('errors: field paths, unknown layerType and rope_type, unknown option keys', () => {
    const g = fixture('gemma-3-4b.v5.json');
    g.text_config.rope_parameters.full_attention.factor = 'eight';
    assertCode(() => pe.ropeFromConfig(g, { layerType: 'full_attention' }), 'SHAPE_MISMATCH',
      /^text_config\.rope_parameters\.full_attention\.factor must be a finite number, got 'eight'/);
    const v5 = fixture('llama-3.1-8b.v5.json');
    v5.rope_parameters.factor = null;
    assertCode(() => pe.ropeForward(input(128), { config: v5 }), 'SHAPE_MISMATCH', /^rope_parameters\.factor must be given for rope_type 'llama3'/);
    assertCode(() => pe.ropeForward(input(256), { config: fixture('gemma-3-4b.v5.json'), layerType: 'chunked_attention' }), 'OUT_OF_RANGE',
      /^layerType must be one of 'sliding_attention', 'full_attention'/);
    const l = fixture('llama-3.1-8b.json');
    l.rope_scaling.rope_type = 'ntk';
    assertCode(() => pe.ropeFromConfig(l), 'OUT_OF_RANGE', /^rope_scaling\.rope_type must be one of .*got 'ntk'/);
    assertCode(() => pe.ropeFromConfig(fixture('bloom.json')), 'OUT_OF_RANGE', /no rotary position information: model_type 'bloom' uses alibi/);
    assertCode(() => pe.ropeFromConfig(l, { layertype: 'x' }), 'OUT_OF_RANGE', /^options\.layertype is not an option of ropeFromConfig \(did you mean 'layerType'\?\)/);
    assertCode(() => pe.ropeForward(input(128), { confg: l }), 'OUT_OF_RANGE', /^options\.confg is not an option of ropeForward \(did you mean 'config'\?\)/);
    assertCode(() => pe.ropeForward(input(128), { layerType: 'full_attention' }), 'OUT_OF_RANGE', /^options\.layerType needs options\.config/);
    const d = pe.ropeFromConfig(fixture('llama-3.1-8b.json'));
    assertCode(() => pe.ropeForward(input(128), { config: l, rope: d }), 'OUT_OF_RANGE', /takes options\.config or options\.rope, not both/);
    assertCode(() => pe.ropeForward(input(128), { rope: { ...d, ropeType: 'ntk' } }), 'OUT_OF_RANGE', /^rope\.ropeType must be one of/);
    assertCode(() => pe.ropeForward(input(64), { rope: d }), 'ROT_DIM', /dRot must be at most headDim = 64, got 128/);
    const vl = fixture('qwen2.5-vl-7b.json');
    assertCode(() => pe.ropeForward(input(128, 4), { config: vl, positions: { data: new Int32Array(16), shape: [4, 4] } }), 'SHAPE_MISMATCH',
      /^positions\.shape must be \[3, 4\] or \[1, 3, 4\]/);
  });
});
