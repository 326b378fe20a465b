// Reading Hugging Face config.json files (bindings/rope-config.js, layers.js, mrope.js) against the models' documented layer
// patterns and the upstream formulas; each test names the upstream file and function it follows.
// Fixtures: tests/fixtures/configs/<model>.json (transformers v4 layout) and <model>.v5.json.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { before, describe, test } from 'node:test';

import { PosencError } from '../../bindings/checks.js';
import { describeLayers } from '../../bindings/layers.js';
import { mropeFrequencyAxes, mropePositions } from '../../bindings/mrope.js';
import { readRopeConfig } from '../../bindings/rope-config.js';
import { BUILDS, assertClose, assertCode, load } from './helpers.js';
import * as ref from './reference.js';
import * as refc from './reference-config.js';

const DIR = new URL('../fixtures/configs/', import.meta.url);
const fixture = (name) => JSON.parse(fs.readFileSync(new URL(name, DIR), 'utf8'));
const FIXTURES = fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const V5_PAIRS = FIXTURES.filter((f) => f.endsWith('.v5.json')).map((f) => [f.replace('.v5.json', '.json'), f])
  .filter(([v4]) => FIXTURES.includes(v4));

// Descriptions without their notes (which say where fields were read from, so differ between layouts).
const withoutNotes = (x) => JSON.parse(JSON.stringify(x, (k, v) => (k === 'notes' ? undefined : v)));
const indices = (layers, pred) => layers.filter(pred).map((e) => e.layer);
const ropeLayerTypes = (layers) => [...new Set(layers.filter((e) => e.rope).map((e) => e.layerType))];

describe('fixtures', () => {
  test('every model of the list has a config, and the v5 twins exist', () => {
    for (const name of ['llama-3.1-8b', 'llama-3.2-1b', 'llama-4-scout', 'mistral-7b-v0.1', 'qwen2.5-7b-instruct',
      'qwen2.5-7b-instruct-yarn', 'qwen2.5-vl-7b', 'qwen3-vl-8b', 'gemma-3-4b', 'phi-3-mini-128k', 'phi-3.5-mini',
      'gpt-oss-20b', 'deepseek-v3', 'modernbert-base', 'bloom', 'mpt-7b', 't5-base', 'gpt2']) {
      assert.ok(FIXTURES.includes(`${name}.json`), name);
    }
    assert.ok(FIXTURES.includes('gemma-4-26b-a4b.v5.json'));
    assert.equal(V5_PAIRS.length, 14);
  });

  // HF v5 RotaryEmbeddingConfigMixin.convert_rope_params_to_dict / standardize_rope_params: rope_scaling +
  // rope_theta (+ top-level original_max_position_embeddings) become rope_parameters, per layer type if nested.
  for (const [v4, v5] of V5_PAIRS) {
    test(`${v4} and ${v5} describe the same model`, () => {
      const a = describeLayers(fixture(v4)), b = describeLayers(fixture(v5));
      assert.deepEqual(withoutNotes(b), withoutNotes(a));
      for (const layerType of ropeLayerTypes(a)) {
        const opts = ropeLayerTypes(a).length > 1 ? { layerType } : {};
        assert.deepEqual(withoutNotes(readRopeConfig(fixture(v5), opts)), withoutNotes(readRopeConfig(fixture(v4), opts)));
      }
    });
  }

  test('every description is plain JSON', () => {
    for (const f of FIXTURES) {
      const layers = describeLayers(fixture(f));
      assert.deepEqual(JSON.parse(JSON.stringify(layers)), layers, f);
    }
  });
});

describe('describeLayers: the documented layer patterns', () => {
  test('Gemma 3 (Gemma3TextConfig: layer i slides unless (i+1) % 6 == 0): 5 sliding (1024, RoPE 1e4) : 1 full (linear x8, 1e6)', () => {
    const layers = describeLayers(fixture('gemma-3-4b.json'));
    assert.equal(layers.length, 34);
    assert.deepEqual(indices(layers, (e) => e.attention === 'full'), [5, 11, 17, 23, 29]);
    for (const e of layers.filter((x) => x.attention === 'sliding')) {
      assert.equal(e.window, 1024);
      assert.equal(e.rope.base, 10000);
      assert.equal(e.rope.scaling, null);
    }
    const full = layers[5].rope;
    assert.equal(full.base, 1e6);
    assert.deepEqual(full.scaling, { rope_type: 'linear', factor: 8 });
    assert.equal(full.dRot, 256);
  });

  test('Gemma 4 (configuration_gemma4 layer_types, global_head_dim; proportional full layers)', () => {
    const layers = describeLayers(fixture('gemma-4-26b-a4b.v5.json'));
    assert.deepEqual(indices(layers, (e) => e.attention === 'full'), [5, 11, 17, 23, 29]);
    const full = layers[5].rope, sliding = layers[0].rope;
    assert.equal(sliding.headDim, 256);
    assert.equal(sliding.base, 10000);
    assert.equal(full.ropeType, 'proportional');
    assert.equal(full.headDim, 512);
    assert.equal(full.dRot, 512);
    assert.deepEqual(full.scaling, { rope_type: 'proportional', partial_rotary_factor: 0.25 });
    assert.equal(layers[0].window, 1024);
  });

  test('Llama 4 Scout (Llama4TextConfig no_rope_layers, Llama4TextAttention): chunked RoPE layers, NoPE every 4th with temperature', () => {
    const layers = describeLayers(fixture('llama-4-scout.json'));
    assert.equal(layers.length, 48);
    const nope = indices(layers, (e) => e.position === 'nope');
    assert.deepEqual(nope, Array.from({ length: 12 }, (_, i) => 4 * i + 3));
    for (const e of layers) {
      if (e.position === 'nope') {
        assert.equal(e.attention, 'full');
        assert.equal(e.rope, undefined);
        assert.deepEqual([e.queryTemperature.floorScale, e.queryTemperature.attnScale], [8192, 0.1]);
      } else {
        assert.equal(e.attention, 'chunked');
        assert.equal(e.chunkSize, 8192);
        assert.equal(e.rope.layout, 'interleaved');
        assert.equal(e.queryTemperature, undefined);
      }
    }
    // The temperature at a few positions (log1p(floor((p+1)/8192))·0.1 + 1).
    assert.equal(refc.llama4QueryTemperature(8190, 8192, 0.1), 1);
    assert.ok(Math.abs(refc.llama4QueryTemperature(8191, 8192, 0.1) - (1 + 0.1 * Math.log(2))) < 1e-15);
    // An explicit no_rope_layers: 1 = the layer uses RoPE.
    const c = fixture('llama-4-scout.json');
    c.text_config.no_rope_layers = Array.from({ length: 48 }, (_, i) => (i === 0 ? 0 : 1));
    assert.deepEqual(indices(describeLayers(c), (e) => e.position === 'nope'), [0]);
  });

  test('GPT-OSS (GptOssConfig layer_types, sinks in GptOssAttention): alternating sliding 128 / full, sinks everywhere', () => {
    const layers = describeLayers(fixture('gpt-oss-20b.json'));
    assert.equal(layers.length, 24);
    layers.forEach((e, i) => {
      assert.equal(e.attention, i % 2 === 0 ? 'sliding' : 'full');
      assert.equal(e.sinks, true);
      if (i % 2 === 0) assert.equal(e.window, 128);
    });
  });

  test('Mistral 7B v0.1 (MistralAttention sliding_window): sliding 4096 on all 32 layers', () => {
    const layers = describeLayers(fixture('mistral-7b-v0.1.json'));
    assert.equal(layers.length, 32);
    assert.ok(layers.every((e) => e.attention === 'sliding' && e.window === 4096 && e.position === 'rope'));
  });

  test('Phi-3 (Phi3Attention applies sliding_window to every layer)', () => {
    for (const f of ['phi-3-mini-128k.json', 'phi-3.5-mini.json']) {
      const layers = describeLayers(fixture(f));
      assert.ok(layers.every((e) => e.attention === 'sliding' && e.window === 262144), f);
    }
  });

  test('ModernBERT (ModernBertAttention: global every 3rd layer, local window ±64 at theta 1e4)', () => {
    const layers = describeLayers(fixture('modernbert-base.json'));
    assert.equal(layers.length, 22);
    assert.deepEqual(indices(layers, (e) => e.attention === 'full'), [0, 3, 6, 9, 12, 15, 18, 21]);
    for (const e of layers) {
      assert.equal(e.bidirectional, true);
      assert.equal(e.rope.base, e.attention === 'full' ? 160000 : 10000);
      if (e.attention === 'sliding') assert.equal(e.window, 64);
    }
  });

  test('Qwen2 / Qwen2.5-VL (Qwen2Config: sliding_window only when use_sliding_window, layers >= max_window_layers)', () => {
    assert.ok(describeLayers(fixture('qwen2.5-7b-instruct.json')).every((e) => e.attention === 'full'));
    assert.ok(describeLayers(fixture('qwen2.5-vl-7b.json')).every((e) => e.attention === 'full'));
    const c = { ...fixture('qwen2.5-7b-instruct.json'), use_sliding_window: true, max_window_layers: 20, sliding_window: 4096 };
    const layers = describeLayers(c);
    assert.deepEqual(indices(layers, (e) => e.attention === 'sliding'), [20, 21, 22, 23, 24, 25, 26, 27]);
    assert.equal(layers[20].window, 4096);
  });

  test('DeepSeek-V3 (DeepseekV3Attention: MLA rotary slice 64, interleaved, softmax scale x mscale^2)', () => {
    const layers = describeLayers(fixture('deepseek-v3.json'));
    assert.equal(layers.length, 61);
    const r = layers[0].rope;
    assert.deepEqual([r.headDim, r.dRot, r.layout], [64, 64, 'interleaved']);
    assert.ok(Math.abs(layers[0].softmaxScaleMultiplier - refc.deepseekSoftmaxMultiplier(40, 1)) < 1e-15);
    assert.ok(Math.abs(layers[0].softmaxScaleMultiplier - 1.8739) < 1e-4);
  });

  test('ALiBi, learned and T5 models (BLOOM, MPT, GPT-2, T5Attention)', () => {
    const bloom = describeLayers(fixture('bloom.json'));
    assert.equal(bloom.length, 70);
    assert.ok(bloom.every((e) => e.position === 'alibi' && e.attention === 'full' && !e.rope));
    const mpt = describeLayers(fixture('mpt-7b.json'));
    assert.equal(mpt.length, 32);
    assert.ok(mpt.every((e) => e.position === 'alibi' && e.alibiBiasMax === 8));
    const gpt2 = describeLayers(fixture('gpt2.json'));
    assert.equal(gpt2.length, 12);
    assert.ok(gpt2.every((e) => e.position === 'learned' && e.maxPositions === 1024));
    const t5 = describeLayers(fixture('t5-base.json'));
    assert.equal(t5.length, 24);
    assert.ok(t5.every((e) => e.position === 't5' && e.t5.numBuckets === 32 && e.t5.maxDistance === 128));
    assert.deepEqual(indices(t5, (e) => e.bidirectional), Array.from({ length: 12 }, (_, i) => i));
    assert.deepEqual(indices(t5, (e) => e.t5.ownsTable), [0, 12]);
    assert.deepEqual([t5[12].stack, t5[12].stackLayer], ['decoder', 0]);
  });
});

describe('readRopeConfig: fields as the upstream code reads them', () => {
  test('Phi-3 (Phi3Config/standardize_rope_params): the top-level original length is copied in, with a note', () => {
    const d = readRopeConfig(fixture('phi-3-mini-128k.json'));
    assert.equal(d.scaling.original_max_position_embeddings, 4096);
    assert.equal(d.originalMaxPositionEmbeddings, 4096);
    assert.equal(d.scaling.short_factor.length, 48);
    assert.match(d.notes.join('\n'), /original_max_position_embeddings read from original_max_position_embeddings \(4096\)/);
  });

  test('legacy type names: Qwen2.5-VL mrope, Phi-3 su (Qwen2_5_VLConfig, Phi3Config._rope_scaling_adjustment)', () => {
    const vl = readRopeConfig(fixture('qwen2.5-vl-7b.json'));
    assert.deepEqual([vl.ropeType, vl.mropeSection, vl.mropeInterleaved], ['default', [16, 24, 24], false]);
    const c = fixture('phi-3.5-mini.json');
    c.rope_scaling.type = 'su';
    assert.equal(readRopeConfig(c).ropeType, 'longrope');
  });

  test('Qwen3-VL always interleaves (Qwen3VLTextRotaryEmbedding), whatever mrope_interleaved says', () => {
    const c = fixture('qwen3-vl-8b.json');
    delete c.text_config.rope_scaling.mrope_interleaved;
    const d = readRopeConfig(c);
    assert.equal(d.mropeInterleaved, true);
    assert.match(d.notes.join('\n'), /always interleaves/);
  });

  test('head dims: head_dim, qk_rope_head_dim, hidden/heads; partial_rotary_factor top level or inside', () => {
    assert.equal(readRopeConfig(fixture('llama-3.1-8b.json')).headDim, 128);
    assert.equal(readRopeConfig(fixture('deepseek-v3.json')).headDim, 64);
    const c = { ...fixture('llama-3.1-8b.json'), partial_rotary_factor: 0.5 };
    assert.equal(readRopeConfig(c).dRot, 64);
    const v5 = fixture('llama-3.1-8b.v5.json');
    v5.rope_parameters.partial_rotary_factor = 0.25;
    assert.equal(readRopeConfig(v5).dRot, 32);
    const neox = { model_type: 'gpt_neox', hidden_size: 2560, num_attention_heads: 32, num_hidden_layers: 32, rotary_pct: 0.25,
      rotary_emb_base: 10000, max_position_embeddings: 2048 };
    assert.deepEqual([readRopeConfig(neox).headDim, readRopeConfig(neox).dRot], [80, 20]);
  });

  test('nested rope_parameters pick the layer type; without one, full_attention with a note', () => {
    const c = fixture('gemma-3-4b.v5.json');
    assert.equal(readRopeConfig(c, { layerType: 'sliding_attention' }).base, 10000);
    const d = readRopeConfig(c);
    assert.equal(d.layerType, 'full_attention');
    assert.match(d.notes.join('\n'), /layerType not given/);
  });
});

describe('M-RoPE', () => {
  test('frequency axes by hand: contiguous [1,2,1], interleaved [2,1,1], Qwen3-VL [24,20,20]', () => {
    assert.deepEqual(mropeFrequencyAxes({ mropeSection: [1, 2, 1] }), ['t', 'h', 'h', 'w']);
    assert.deepEqual(mropeFrequencyAxes({ mropeSection: [2, 1, 1], mropeInterleaved: true }), ['t', 'h', 'w', 't']);
    // h at 1, 4 (< 3·3), w at 2 (< 3·1), t elsewhere: HF's rule, even though it gives t 3 slots, not 2.
    assert.deepEqual(mropeFrequencyAxes({ mropeSection: [2, 3, 1], mropeInterleaved: true }), ['t', 'h', 'w', 't', 'h', 't']);
    const q3 = mropeFrequencyAxes(readRopeConfig(fixture('qwen3-vl-8b.json')));
    assert.deepEqual(q3, refc.mropeInterleavedAxes([24, 20, 20]));
    assert.deepEqual(['t', 'h', 'w'].map((a) => q3.filter((x) => x === a).length), [24, 20, 20]);
    assert.deepEqual(q3.slice(0, 6), ['t', 'h', 'w', 't', 'h', 'w']);
    assert.deepEqual(q3.slice(57), ['t', 'h', 'w', 't', 't', 't', 't']);
    const q25 = mropeFrequencyAxes(readRopeConfig(fixture('qwen2.5-vl-7b.json')));
    assert.deepEqual(q25, refc.mropeContiguousAxes([16, 24, 24]));
  });

  // Qwen2VLModel.get_rope_index: text 0,1; image grid [1,4,6] with merge 2 is 2×3 tokens at start 2
  // (t=2, h=2..3, w=2..4); text resumes at 2 + max(1, 2, 3) = 5.
  test('mropePositions on an image in text, by hand', () => {
    const p = mropePositions([{ type: 'text', length: 2 }, { type: 'image', grid: [1, 4, 6] }, { type: 'text', length: 3 }]);
    assert.deepEqual(p.shape, [3, 11]);
    assert.ok(p.data instanceof Int32Array);
    assert.deepEqual(Array.from(p.data.subarray(0, 11)), [0, 1, 2, 2, 2, 2, 2, 2, 5, 6, 7]);
    assert.deepEqual(Array.from(p.data.subarray(11, 22)), [0, 1, 2, 2, 2, 3, 3, 3, 5, 6, 7]);
    assert.deepEqual(Array.from(p.data.subarray(22, 33)), [0, 1, 2, 3, 4, 2, 3, 4, 5, 6, 7]);
    assert.equal(p.next, 8);
  });

  // Qwen2_5_VLModel.get_rope_index: second_per_grid_t is cast to the integer index dtype, so frame i sits
  // at i · int(1.5) · tokens_per_second = 2i.
  test('mropePositions on a video, Qwen2.5-VL time and Qwen2-VL frame index', () => {
    const segs = [{ type: 'text', length: 1 }, { type: 'video', grid: [2, 2, 2], secondPerGridT: 1.5 }];
    const q25 = mropePositions(segs, { tokensPerSecond: 2 });
    assert.deepEqual(Array.from(q25.data), [0, 1, 3, 0, 1, 1, 0, 1, 1]);
    assert.equal(q25.next, 4);
    const q2 = mropePositions(segs);
    assert.deepEqual(Array.from(q2.data), [0, 1, 2, 0, 1, 1, 0, 1, 1]);
  });
});

describe('errors name the field path', () => {
  test('wrong-typed fields are SHAPE_MISMATCH', () => {
    const c = fixture('gemma-3-4b.v5.json');
    c.text_config.rope_parameters.full_attention.factor = '8';
    assertCode(() => readRopeConfig(c, { layerType: 'full_attention' }), 'SHAPE_MISMATCH',
      /^text_config\.rope_parameters\.full_attention\.factor must be a finite number, got '8'/);
    const p = fixture('phi-3.5-mini.json');
    p.rope_scaling.short_factor = p.rope_scaling.short_factor.slice(1);
    assertCode(() => readRopeConfig(p), 'SHAPE_MISMATCH', /^rope_scaling\.short_factor must have 48 entries/);
    const v = fixture('qwen2.5-vl-7b.json');
    v.rope_scaling.mrope_section = [16, 24, 16];
    assertCode(() => readRopeConfig(v), 'SHAPE_MISMATCH', /^rope_scaling\.mrope_section must be 3 integers summing to dRot\/2 = 64/);
    assertCode(() => describeLayers({ ...fixture('mistral-7b-v0.1.json'), layer_types: ['full_attention'] }), 'SHAPE_MISMATCH', /^layer_types must be an array of 32 strings/);
    assertCode(() => readRopeConfig('{}'), 'SHAPE_MISMATCH', /^config must be a parsed config\.json object/);
  });

  test('unknown rope_type, unknown layerType, no position information are OUT_OF_RANGE', () => {
    const c = fixture('llama-3.1-8b.json');
    c.rope_scaling.rope_type = 'ntk-by-parts';
    assertCode(() => readRopeConfig(c), 'OUT_OF_RANGE', /^rope_scaling\.rope_type must be one of 'default'.*got 'ntk-by-parts'/);
    assertCode(() => readRopeConfig(fixture('gemma-3-4b.v5.json'), { layerType: 'chunked_attention' }), 'OUT_OF_RANGE',
      /^layerType must be one of 'sliding_attention', 'full_attention'.*got 'chunked_attention'/);
    assertCode(() => readRopeConfig(fixture('mistral-7b-v0.1.json'), { layerType: 'sliding' }), 'OUT_OF_RANGE', /^layerType must be one of 'sliding_attention'/);
    assertCode(() => describeLayers({ model_type: 'mystery', num_hidden_layers: 2 }), 'OUT_OF_RANGE', /no usable position information: model_type 'mystery'/);
    assertCode(() => readRopeConfig(fixture('gpt2.json')), 'OUT_OF_RANGE', /no rotary position information: model_type 'gpt2' uses learned/);
    assertCode(() => mropePositions([{ type: 'audio' }]), 'OUT_OF_RANGE', /^segments\[0\]\.type must be one of/);
  });

  test('every error is a PosencError', () => {
    assert.throws(() => readRopeConfig(fixture('gpt2.json')), (e) => e instanceof PosencError && e.code === 'OUT_OF_RANGE');
    assert.throws(() => mropePositions('x'), (e) => e instanceof PosencError && e.code === 'SHAPE_MISMATCH');
  });
});

// The kernel given a description's fields reproduces the upstream float64 formulas (reference.js
// ropeParams is HF modeling_rope_utils ROPE_INIT_FUNCTIONS). Every fixture through pe.ropeFromConfig and
// pe.ropeForward({ config }) is in rope-from-config.test.js.
for (const build of BUILDS) {
  describe(`kernel from descriptions (${build.name} build)`, () => {
    let pe;
    before(async () => {
      pe = await load({ simd: build.simd });
    });
    const kernel = (d, seqLen) => pe.ropeParams(d.dRot, { base: d.base, scaling: d.scaling ?? undefined,
      maxPositionEmbeddings: d.maxPositionEmbeddings ?? undefined, seqLen });
    const reference = (d, seqLen) => ref.ropeParams(d.dRot, { base: d.base, scaling: d.scaling,
      maxPositionEmbeddings: d.maxPositionEmbeddings ?? undefined, seqLen });

    // _compute_longrope_parameters + longrope_frequency_update: short factors up to the original length.
    test('Phi-3: attention factor sqrt(1 + ln 32 / ln 4096) ≈ 1.19, short factors up to 4096, long beyond', () => {
      for (const f of ['phi-3-mini-128k.json', 'phi-3.5-mini.json']) {
        const d = readRopeConfig(fixture(f));
        const a = Math.sqrt(1 + Math.log(32) / Math.log(4096));
        assert.ok(Math.abs(a - 1.1902) < 1e-4);
        const short = kernel(d, 4096), long = kernel(d, 4097);
        assertClose([short.attentionFactor, long.attentionFactor], [a, a], f);
        const f0 = Array.from({ length: 48 }, (_, j) => Math.pow(10000, (2 * j) / 96));
        assertClose(short.invFreq, f0.map((x, j) => 1 / (d.scaling.short_factor[j] * x)), `${f} short`);
        assertClose(long.invFreq, f0.map((x, j) => 1 / (d.scaling.long_factor[j] * x)), `${f} long`);
        // Pasted verbatim without the top-level length, HF's formula gives attention factor 1 for mpe = L0.
        const raw = { ...d.scaling };
        delete raw.original_max_position_embeddings;
        assert.equal(pe.ropeParams(96, { scaling: raw, maxPositionEmbeddings: 131072, seqLen: 1000 }).attentionFactor, 1);
      }
    });

    // _compute_yarn_parameters with truncate=False (GPT-OSS): correction range not rounded.
    test('GPT-OSS: YaRN truncate=false, correction range 8.0928 … 17.3980', () => {
      const d = readRopeConfig(fixture('gpt-oss-20b.json'));
      assert.equal(d.scaling.truncate, false);
      const c = (r) => (64 * Math.log(4096 / (2 * Math.PI * r))) / (2 * Math.log(150000));
      assert.ok(Math.abs(c(32) - 8.0928) < 1e-4 && Math.abs(c(1) - 17.3980) < 1e-4);
      const got = kernel(d);
      const inv = (j) => Math.pow(150000, (-2 * j) / 64);
      const ramp = (j) => Math.min(Math.max((j - c(32)) / (c(1) - c(32)), 0), 1);
      assertClose(got.invFreq, Array.from({ length: 32 }, (_, j) => inv(j) * (1 - ramp(j) + ramp(j) / 32)), 'gpt-oss invFreq');
      assertClose([got.attentionFactor], [0.1 * Math.log(32) + 1], 'gpt-oss attention factor');
      const truncated = kernel({ ...d, scaling: { ...d.scaling, truncate: true } });
      assert.notEqual(truncated.invFreq[10], got.invFreq[10]);
    });

    // _compute_yarn_parameters mscale/mscale_all_dim: DeepSeek-V3's ratio g(40,1)/g(40,1) = 1.
    test('DeepSeek-V3: YaRN mscale ratio, and another ratio', () => {
      const d = readRopeConfig(fixture('deepseek-v3.json'));
      assertClose([kernel(d).attentionFactor], [1], 'deepseek attention factor');
      const g = (s, m) => 0.1 * m * Math.log(s) + 1;
      const other = kernel({ ...d, scaling: { ...d.scaling, mscale: 1, mscale_all_dim: 0.707 } });
      assertClose([other.attentionFactor], [g(40, 1) / g(40, 0.707)], 'mscale ratio');
    });

    // _compute_llama3_parameters: high frequencies kept, low ones divided by 8, a smooth band between.
    test('Llama 3.1: llama3 scaling', () => {
      const d = readRopeConfig(fixture('llama-3.1-8b.json'));
      const got = kernel(d);
      assertClose([got.invFreq[0], got.invFreq[63]], [1, Math.pow(500000, -126 / 128) / 8], 'llama3 ends');
      assertClose(got.invFreq, reference(d).invFreq, 'llama3');
    });

    // _compute_dynamic_ntk_parameters: base · (factor·L/mpe − (factor−1))^(d/(d−2)), L = max(seqLen, mpe).
    test('dynamic NTK follows seqLen', () => {
      const c = { model_type: 'llama', hidden_size: 512, num_attention_heads: 8, num_hidden_layers: 2,
        max_position_embeddings: 4096, rope_theta: 10000, rope_scaling: { type: 'dynamic', factor: 2 } };
      const d = readRopeConfig(c, { seqLen: 10000 });
      assert.equal(d.seqLen, 10000);
      const base = 10000 * Math.pow((2 * 10000) / 4096 - 1, 64 / 62);
      assertClose(kernel(d, 10000).invFreq, Array.from({ length: 32 }, (_, j) => Math.pow(base, (-2 * j) / 64)), 'dynamic 10000');
      assertClose(kernel(d, 4096).invFreq, Array.from({ length: 32 }, (_, j) => Math.pow(10000, (-2 * j) / 64)), 'dynamic at mpe');
    });

    test('Qwen2.5 YaRN recipe: factor 4 over 32768, attention factor 0.1 ln 4 + 1', () => {
      const d = readRopeConfig(fixture('qwen2.5-7b-instruct-yarn.json'));
      assertClose([kernel(d).attentionFactor], [0.1 * Math.log(4) + 1], 'qwen yarn');
    });

    // ropeForward with a description at positions up to 2^31 − 1, both layouts.
    test('ropeForward from descriptions, positions up to 2^31 - 1', () => {
      for (const f of ['llama-3.1-8b.json', 'gpt-oss-20b.json', 'deepseek-v3.json', 'phi-3.5-mini.json']) {
        const d = readRopeConfig(fixture(f));
        const shape = [1, 1, 4, d.headDim];
        const x = Array.from(ref.randomFloats(4 * d.headDim, 7));
        const positions = Int32Array.from([0, 1, 65537, 2147483647]);
        const opts = { dRot: d.dRot, base: d.base, layout: d.layout, positions, scaling: d.scaling ?? undefined,
          maxPositionEmbeddings: d.maxPositionEmbeddings, seqLen: 1000 };
        const got = pe.ropeForward({ data: Float32Array.from(x), shape }, opts);
        const want = ref.ropeForward(x, shape, { ...opts, positions: Array.from(positions), scaling: d.scaling });
        assertClose(got.data, want, f);
      }
    });
  });
}
