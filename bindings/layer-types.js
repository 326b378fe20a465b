// What kind of positions a Hugging Face config's model uses and the type of each of its layers
// (full / sliding / chunked attention), as HF's config classes and modeling code derive them.
import { fail, show } from './checks.js';
import { CLASS_DEFAULTS, absent, boolean, classOf, field, integer, isObject, string } from './config-fields.js';

const ALIBI_MODELS = new Set(['bloom']);
const LEARNED_MODELS = new Set(['gpt2', 'gpt_neo', 'opt', 'gpt_bigcode', 'biogpt']);
const T5_MODELS = new Set(['t5', 'mt5', 'umt5', 'longt5', 'switch_transformers']);
const SINUSOIDAL_MODELS = new Set(['marian', 'fsmt', 'pegasus', 'speech_to_text']);

// The model's positional scheme: 'rope' | 'alibi' | 'learned' | 't5' | 'sinusoidal' | null.
export function positionFamily(m) {
  const c = m.config;
  if (T5_MODELS.has(m.modelType) || !absent(c.relative_attention_num_buckets)) return 't5';
  if (ALIBI_MODELS.has(m.modelType) || c.alibi === true || (isObject(c.attn_config) && c.attn_config.alibi === true)) return 'alibi';
  if (SINUSOIDAL_MODELS.has(m.modelType)) return 'sinusoidal';
  const pet = string('position_embedding_type', c.position_embedding_type);
  if (pet === 'absolute') return 'learned';
  if (pet === 'rotary') return 'rope';
  if (pet === 'alibi') return 'alibi';
  if (LEARNED_MODELS.has(m.modelType)) return 'learned';
  if (m.modelType === 'mpt') return 'learned';
  for (const key of ['rope_parameters', 'rope_scaling', 'rope_theta', 'rotary_emb_base', 'global_rope_theta', 'rotary_pct']) {
    if (!absent(m.get(key).value)) return 'rope';
  }
  if (CLASS_DEFAULTS[classOf(m.modelType)]?.rope_theta !== undefined) return 'rope';
  if (['llama', 'mistral', 'mixtral', 'qwen2', 'qwen3', 'gemma', 'gemma2', 'phi3', 'gpt_neox'].includes(m.modelType)) return 'rope';
  return null;
}

export function layerCount(m) {
  for (const key of ['num_hidden_layers', 'n_layer', 'num_layers', 'n_layers']) {
    const f = m.get(key);
    if (!absent(f.value)) return integer(f.path, f.value);
  }
  fail('OUT_OF_RANGE', 'config has no layer count: it needs num_hidden_layers (or n_layer, num_layers, n_layers)');
}

// Each layer's type as HF's config class derives it: { types, source }.
export function layerTypesOf(m, notes) {
  const n = layerCount(m);
  const lt = m.get('layer_types');
  if (!absent(lt.value)) {
    if (!Array.isArray(lt.value) || lt.value.length !== n || !lt.value.every((t) => typeof t === 'string')) {
      fail('SHAPE_MISMATCH', `${lt.path} must be an array of ${n} strings (one per layer), got ${show(lt.value)}`);
    }
    return { types: lt.value, source: lt.path };
  }
  const cls = classOf(m.modelType);
  const sw = m.get('sliding_window');
  const window = integer(sw.path, sw.value);
  const all = (t) => Array.from({ length: n }, () => t);
  if (cls === 'gemma3_text') {
    const f = field(m, 'sliding_window_pattern', notes);
    const p = integer(f.path, f.value);
    return { types: Array.from({ length: n }, (_, i) => ((i + 1) % p ? 'sliding_attention' : 'full_attention')), source: f.path };
  }
  if (cls === 'gemma2') {
    return { types: Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 'sliding_attention' : 'full_attention')), source: 'Gemma2 (even layers slide)' };
  }
  if (cls === 'modernbert') {
    const f = field(m, 'global_attn_every_n_layers', notes);
    const every = integer(f.path, f.value);
    return { types: Array.from({ length: n }, (_, i) => (i % every === 0 ? 'full_attention' : 'sliding_attention')), source: f.path };
  }
  if (cls === 'llama4_text') {
    const uses = ropeUsage(m, n, notes);
    const chunk = m.get('attention_chunk_size').value;
    return { types: uses.map((r) => (r && !absent(chunk) ? 'chunked_attention' : 'full_attention')), source: 'no_rope_layers' };
  }
  if (['qwen2', 'qwen2_moe', 'qwen3', 'qwen3_moe', 'qwen2_vl', 'qwen2_5_vl', 'qwen2_vl_text', 'qwen2_5_vl_text'].includes(cls)) {
    const use = boolean(m.get('use_sliding_window').path, m.get('use_sliding_window').value) ?? false;
    if (!use || window === undefined) {
      if (window !== undefined) notes.push(`${sw.path} (${window}) unused: use_sliding_window is not true`);
      return { types: all('full_attention'), source: 'use_sliding_window' };
    }
    const mwl = m.get('max_window_layers');
    const first = integer(mwl.path, mwl.value, 0) ?? n;
    return { types: Array.from({ length: n }, (_, i) => (i >= first ? 'sliding_attention' : 'full_attention')), source: 'max_window_layers' };
  }
  if (cls === 'gpt_oss') {
    return { types: Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 'sliding_attention' : 'full_attention')), source: 'GptOss (even layers slide)' };
  }
  if (['mistral', 'mixtral', 'phi3', 'starcoder2'].includes(cls) && window !== undefined) {
    if (cls === 'phi3') notes.push(`${sw.path} (${window}): HF's Phi3Attention applies it to every layer`);
    return { types: all('sliding_attention'), source: sw.path };
  }
  return { types: all('full_attention'), source: 'default' };
}

// Llama 4 / SmolLM3: no_rope_layers[i] = 1 means layer i USES RoPE; empty or absent means every
// no_rope_layer_interval-th layer (1-based) is NoPE.
export function ropeUsage(m, n, notes) {
  const f = m.get('no_rope_layers');
  if (Array.isArray(f.value) && f.value.length > 0) {
    if (f.value.length !== n || !f.value.every((x) => x === 0 || x === 1 || typeof x === 'boolean')) {
      fail('SHAPE_MISMATCH', `${f.path} must be ${n} entries of 0 or 1 (1 = the layer uses RoPE), got ${show(f.value)}`);
    }
    return f.value.map(Boolean);
  }
  if (!absent(f.value) && !Array.isArray(f.value)) fail('SHAPE_MISMATCH', `${f.path} must be an array, got ${show(f.value)}`);
  const iv = field(m, 'no_rope_layer_interval', notes);
  const every = integer(iv.path, iv.value);
  return Array.from({ length: n }, (_, i) => (i + 1) % every !== 0);
}

