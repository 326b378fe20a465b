// One entry per layer of a Hugging Face config.json: its positional scheme, attention span and RoPE
// description, read as HF's modeling code reads them. Pure JavaScript (no WebAssembly module).
import { fail, show } from './checks.js';
import { absent, classOf, field, integer, isObject, number, textModel } from './config-fields.js';
import { layerCount, layerTypesOf, positionFamily, ropeUsage } from './layer-types.js';
import { nestedRopeKeys, readRopeConfig } from './rope-config.js';

const ATTENTION_OF = { full_attention: 'full', sliding_attention: 'sliding', chunked_attention: 'chunked' };

/** One entry per layer: its positional scheme, attention span and RoPE description. */
export function describeLayers(config) {
  const m = textModel(config);
  const family = positionFamily(m);
  const notes = [];
  const c = m.config;
  if (family === 't5') return t5Layers(m);
  if (family === null) {
    fail('OUT_OF_RANGE', `config has no usable position information: model_type ${show(m.modelType)} is not one posenc knows and it has no rope_theta, rope_scaling, rope_parameters, alibi or position_embedding_type`);
  }
  const n = layerCount(m);
  if (family !== 'rope') {
    return Array.from({ length: n }, (_, layer) => {
      const e = { layer, layerType: 'full_attention', position: family, attention: 'full' };
      if (family === 'alibi' && isObject(c.attn_config)) e.alibiBiasMax = number('attn_config.alibi_bias_max', c.attn_config.alibi_bias_max) ?? 8;
      if (family === 'learned') {
        const f = ['max_position_embeddings', 'n_positions', 'max_seq_len'].map((k) => m.get(k)).find((x) => !absent(x.value));
        if (f) e.maxPositions = integer(f.path, f.value);
        if (m.modelType === 'mpt') e.unknown = ['HF MptModel has no learned position table; this MPT config declares neither alibi nor a table posenc can read'];
      }
      return e;
    });
  }

  const { types } = layerTypesOf(m, notes);
  const cls = classOf(m.modelType);
  const usesRope = cls === 'llama4_text' || m.modelType === 'smollm3' ? ropeUsage(m, n, notes) : null;
  const window = integer(m.get('sliding_window').path, m.get('sliding_window').value);
  const chunk = integer(m.get('attention_chunk_size').path, m.get('attention_chunk_size').value);
  const nestedKeys = nestedRopeKeys(m.get('rope_parameters').value);
  const perType = nestedKeys || cls === 'gemma3_text' || cls === 'modernbert' || cls === 'gemma4_text' || m.modelType === 'gemma4';
  const ropeCache = new Map();
  const ropeFor = (lt) => {
    const key = perType ? lt : '';
    if (!ropeCache.has(key)) ropeCache.set(key, readRopeConfig(config, perType ? { layerType: lt } : {}));
    return ropeCache.get(key);
  };
  const temperature = cls === 'llama4_text' && m.get('attn_temperature_tuning').value ? {
    floorScale: number(field(m, 'floor_scale').path, field(m, 'floor_scale').value),
    attnScale: number(field(m, 'attn_scale').path, field(m, 'attn_scale').value),
  } : null;
  const softmaxScale = deepseekSoftmaxScale(m);

  return types.map((layerType, layer) => {
    const e = { layer, layerType, position: 'rope', attention: ATTENTION_OF[layerType] };
    const unknown = [];
    if (!e.attention) {
      unknown.push(`attention span of layer type ${show(layerType)}: not a type posenc knows`);
      delete e.attention;
    }
    if (e.attention === 'sliding') {
      if (cls === 'modernbert') {
        const f = field(m, 'local_attention');
        e.window = integer(f.path, f.value) / 2;
        e.bidirectional = true;
      } else if (window !== undefined) e.window = window;
      else unknown.push('sliding window size: sliding_window is absent');
    }
    if (e.attention === 'chunked') e.chunkSize = chunk;
    if (cls === 'modernbert') e.bidirectional = true;
    if (cls === 'gpt_oss') e.sinks = true;
    if (usesRope && !usesRope[layer]) {
      e.position = 'nope';
      if (temperature) {
        e.queryTemperature = { ...temperature, formula: 'q *= log1p(floor((position + 1) / floorScale)) * attnScale + 1' };
      }
    } else {
      e.rope = ropeFor(layerType);
    }
    if (softmaxScale !== null) e.softmaxScaleMultiplier = softmaxScale;
    if (unknown.length) e.unknown = unknown;
    if (notes.length) e.notes = notes;
    return e;
  });
}

// DeepSeek-V2/V3 multiply the softmax scale by mscale(factor, mscale_all_dim)² (DeepseekV3Attention).
function deepseekSoftmaxScale(m) {
  if (!['deepseek_v2', 'deepseek_v3', 'kimi_k2'].includes(m.modelType)) return null;
  const rs = m.get('rope_scaling').value ?? m.get('rope_parameters').value;
  if (!isObject(rs) || !rs.mscale_all_dim || !rs.factor) return null;
  const g = rs.factor <= 1 ? 1 : 0.1 * rs.mscale_all_dim * Math.log(rs.factor) + 1;
  return g * g;
}

// T5: one relative-bias table per stack (layer 0 owns it, the others reuse it); encoder buckets
// are bidirectional, the decoder's self-attention is causal; cross-attention carries no position bias.
function t5Layers(m) {
  const c = m.config;
  const enc = integer('num_layers', c.num_layers) ?? layerCount(m);
  const dec = integer('num_decoder_layers', c.num_decoder_layers) ?? enc;
  const numBuckets = integer('relative_attention_num_buckets', c.relative_attention_num_buckets) ?? 32;
  const maxDistance = integer('relative_attention_max_distance', c.relative_attention_max_distance) ?? 128;
  const perLayer = m.modelType === 'umt5';
  const entry = (stack, i, layer) => ({
    layer, stack, stackLayer: i, layerType: 'full_attention', position: 't5', attention: 'full',
    bidirectional: stack === 'encoder',
    t5: { numBuckets, maxDistance, ownsTable: perLayer || i === 0 },
  });
  return [
    ...Array.from({ length: enc }, (_, i) => entry('encoder', i, i)),
    ...Array.from({ length: dec }, (_, i) => entry('decoder', i, enc + i)),
  ];
}

