// Reads a Hugging Face config.json (transformers v4 or v5 layout) into plain descriptions of a model's
// positional scheme: its RoPE parameters per layer type, one entry per layer, and Qwen-VL multimodal
// position ids. Pure JavaScript and float64 throughout: nothing here needs the WebAssembly module, so the
// descriptions are JSON-serialisable and the kernel is called with them afterwards (ropeParams/ropeForward).

// ---- errors ----------------------------------------------------------------------------------------

let makeError = (code, message) => Object.assign(new Error(message), { code });

/** Replaces how errors are made (e.g. `(code, message) => new PosencError(code, message)`). */
export function setErrorFactory(factory) {
  makeError = factory;
}

function fail(code, message) {
  throw makeError(code, message);
}

// How a value reads in a message.
function show(v) {
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return `an Array(${v.length})`;
  if (v !== null && typeof v === 'object') return 'an object';
  return String(v);
}

// ---- typed field readers (SHAPE_MISMATCH for a field of the wrong type) -----------------------------

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const absent = (v) => v === undefined || v === null;

function number(path, v) {
  if (absent(v)) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail('SHAPE_MISMATCH', `${path} must be a finite number, got ${show(v)}`);
  return v;
}

function integer(path, v, min = 1) {
  if (absent(v)) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    fail('SHAPE_MISMATCH', `${path} must be an integer >= ${min}, got ${show(v)}`);
  }
  return v;
}

function string(path, v) {
  if (absent(v)) return undefined;
  if (typeof v !== 'string') fail('SHAPE_MISMATCH', `${path} must be a string, got ${show(v)}`);
  return v;
}

function boolean(path, v) {
  if (absent(v)) return undefined;
  if (typeof v !== 'boolean') fail('SHAPE_MISMATCH', `${path} must be true or false, got ${show(v)}`);
  return v;
}

function object(path, v) {
  if (absent(v)) return undefined;
  if (!isObject(v)) fail('SHAPE_MISMATCH', `${path} must be an object, got ${show(v)}`);
  return v;
}

function numbers(path, v, length) {
  if (absent(v)) return undefined;
  if (!Array.isArray(v)) fail('SHAPE_MISMATCH', `${path} must be an array of numbers, got ${show(v)}`);
  if (length !== undefined && v.length !== length) {
    fail('SHAPE_MISMATCH', `${path} must have ${length} entries (one per rotated pair), got ${v.length}`);
  }
  return v.map((x, i) => number(`${path}[${i}]`, x) ?? fail('SHAPE_MISMATCH', `${path}[${i}] must be a number, got ${show(x)}`));
}

// ---- where the text model's fields live ---------------------------------------------------------------

// A multimodal config keeps its language model in text_config (Llama 4, Gemma 3/4, Qwen3-VL); a field
// missing there falls back to the top level, which is where Qwen2/2.5-VL keep theirs.
function textModel(config) {
  if (!isObject(config)) fail('SHAPE_MISMATCH', `config must be a parsed config.json object, got ${show(config)}`);
  const text = object('text_config', config.text_config);
  const get = (key) => {
    if (text && !absent(text[key])) return { value: text[key], path: `text_config.${key}` };
    return { value: config[key], path: key };
  };
  const modelType = string('model_type', text?.model_type) ?? string('model_type', config.model_type) ?? '';
  return { config, text, get, modelType };
}

// Defaults of HF config classes that published config.json files rely on by leaving the field out.
const CLASS_DEFAULTS = {
  gemma3_text: { rope_theta: 1e6, rope_local_base_freq: 1e4, sliding_window_pattern: 6, head_dim: 256 },
  llama4_text: { no_rope_layer_interval: 4, floor_scale: 8192, attn_scale: 0.1 },
  modernbert: { global_attn_every_n_layers: 3, local_attention: 128, global_rope_theta: 160000, local_rope_theta: 10000 },
};
const classOf = (modelType) =>
  ({ gemma3: 'gemma3_text', llama4: 'llama4_text' })[modelType] ?? modelType;

// A field, or the HF class default (with a note saying so).
function field(m, key, notes) {
  const f = m.get(key);
  if (!absent(f.value)) return f;
  const d = CLASS_DEFAULTS[classOf(m.modelType)]?.[key];
  if (d !== undefined) {
    notes?.push(`${f.path} absent: ${d}, the default of HF's ${classOf(m.modelType)} config class`);
    return { value: d, path: f.path };
  }
  return f;
}

// ---- RoPE description -----------------------------------------------------------------------------

export const ROPE_TYPES = ['default', 'linear', 'dynamic', 'yarn', 'longrope', 'llama3', 'proportional'];

// Models whose own attention code rotates interleaved pairs (x[2j], x[2j+1]) rather than rotate_half.
// DeepSeek's config class defaults rope_interleave to true; Llama 4's HF code multiplies by complex
// freqs_cis over view_as_complex(x.reshape(..., -1, 2)).
const INTERLEAVED_MODELS = new Set(['deepseek_v2', 'deepseek_v3', 'kimi_k2', 'llama4', 'llama4_text']);
// Qwen3-VL's text model always interleaves its M-RoPE sections, whatever mrope_interleaved says.
const ALWAYS_INTERLEAVED_MROPE = new Set(['qwen3_vl', 'qwen3_vl_text', 'qwen3_vl_moe', 'qwen3_vl_moe_text']);

// Scaling keys posenc's ropeParams reads, per rope_type (the rest of a rope_scaling object is dropped).
const SCALING_KEYS = {
  default: [],
  linear: ['factor'],
  dynamic: ['factor'],
  yarn: ['factor', 'original_max_position_embeddings', 'attention_factor', 'beta_fast', 'beta_slow', 'mscale',
    'mscale_all_dim', 'truncate'],
  longrope: ['factor', 'original_max_position_embeddings', 'attention_factor', 'short_factor', 'long_factor'],
  llama3: ['factor', 'original_max_position_embeddings', 'low_freq_factor', 'high_freq_factor'],
  proportional: ['factor'],
};
const REQUIRED_KEYS = { linear: ['factor'], dynamic: ['factor'], llama3: ['factor', 'low_freq_factor', 'high_freq_factor'],
  longrope: ['short_factor', 'long_factor'] };

// Layer types whose RoPE parameters the config keys separately (v5 nested rope_parameters).
function nestedRopeKeys(params) {
  if (!isObject(params)) return null;
  const keys = Object.keys(params).filter((k) => isObject(params[k]));
  return keys.length > 0 && keys.every((k) => /_attention$/.test(k) || k === 'sliding' || k === 'full') ? keys : null;
}

// The RoPE parameter set of one layer type, in one shape whatever the layout: { params, path, base }.
function ropeParameterSet(m, layerType, notes) {
  const v5 = object(m.get('rope_parameters').path, m.get('rope_parameters').value);
  if (v5) {
    const root = m.get('rope_parameters').path;
    const nested = nestedRopeKeys(v5);
    if (nested) {
      let lt = layerType;
      if (absent(lt)) {
        lt = nested.includes('full_attention') ? 'full_attention' : nested[0];
        if (nested.length > 1) notes.push(`layerType not given: the ${lt} parameters of ${root} (it has ${nested.join(', ')})`);
      }
      if (!nested.includes(lt)) {
        fail('OUT_OF_RANGE', `layerType must be one of ${nested.map(show).join(', ')} (the keys of ${root}), got ${show(lt)}`);
      }
      return { params: v5[lt], path: `${root}.${lt}`, layerType: lt };
    }
    checkLayerType(m, layerType);
    return { params: v5, path: root, layerType: layerType ?? null };
  }
  checkLayerType(m, layerType);
  const scaling = object(m.get('rope_scaling').path, m.get('rope_scaling').value);
  const params = { ...(scaling ?? {}) };
  const path = m.get('rope_scaling').path;
  // v4 models with per-layer-type bases kept as separate top-level fields.
  const cls = classOf(m.modelType);
  if (cls === 'gemma3_text' && layerType === 'sliding_attention') {
    const local = field(m, 'rope_local_base_freq', notes);
    notes.push(`sliding layers: default RoPE at ${local.path} (HF Gemma3 gives them no rope_scaling)`);
    return { params: { rope_type: 'default', rope_theta: number(local.path, local.value) }, path: local.path, layerType };
  }
  if (cls === 'modernbert') {
    const key = layerType === 'sliding_attention' ? 'local_rope_theta' : 'global_rope_theta';
    const f = field(m, key, notes);
    return { params: { rope_type: 'default', rope_theta: number(f.path, f.value) }, path: f.path, layerType: layerType ?? 'full_attention' };
  }
  const theta = field(m, 'rope_theta', notes);
  if (!absent(theta.value)) params.rope_theta = number(theta.path, theta.value);
  else if (!absent(m.get('rotary_emb_base').value)) params.rope_theta = number(m.get('rotary_emb_base').path, m.get('rotary_emb_base').value);
  return { params, path, layerType: layerType ?? null };
}

// Layer types a config declares or implies (for checking a requested layerType).
function checkLayerType(m, layerType) {
  if (absent(layerType)) return;
  if (typeof layerType !== 'string') fail('OUT_OF_RANGE', `layerType must be a string, got ${show(layerType)}`);
  const types = [...new Set(layerTypesOf(m, []).types)];
  if (!types.includes(layerType)) {
    fail('OUT_OF_RANGE', `layerType must be one of ${types.map(show).join(', ')} (this config's layer types), got ${show(layerType)}`);
  }
}

function headDimOf(m, layerType, notes) {
  if (classOf(m.modelType) === 'gemma4_text' || m.modelType === 'gemma4') {
    const g = m.get('global_head_dim');
    if (layerType === 'full_attention' && !absent(g.value)) return integer(g.path, g.value);
  }
  for (const key of ['head_dim', 'qk_rope_head_dim']) {
    const f = field(m, key, notes);
    if (!absent(f.value)) return integer(f.path, f.value);
  }
  const hidden = m.get('hidden_size'), heads = m.get('num_attention_heads');
  const h = integer(hidden.path, hidden.value), n = integer(heads.path, heads.value);
  if (h === undefined || n === undefined) {
    fail('OUT_OF_RANGE', 'config has no head size: it needs head_dim, qk_rope_head_dim, or hidden_size and num_attention_heads');
  }
  if (h % n !== 0) fail('SHAPE_MISMATCH', `${hidden.path} (${h}) must be a multiple of ${heads.path} (${n})`);
  return h / n;
}

// Proportional RoPE (Gemma 4): pairs (j, j + headDim/2) over the whole head; the first
// int(prf·headDim // 2) pairs turn at base^(−2j/headDim), the others not at all; all divided by factor.
function proportionalInvFreq(headDim, base, prf, factor) {
  const rotated = Math.floor((prf * headDim) / 2);
  return Array.from({ length: headDim / 2 }, (_, j) => (j < rotated ? 1 / Math.pow(base, (2 * j) / headDim) / factor : 0));
}

/**
 * The RoPE of one layer type of a Hugging Face config, normalised so that posenc's
 * `ropeParams(desc.dRot, { base: desc.base, scaling: desc.scaling, maxPositionEmbeddings:
 * desc.maxPositionEmbeddings, seqLen })` reproduces the model (except `proportional`, whose
 * `invFreq` is given explicitly).
 */
export function readRopeConfig(config, { layerType, seqLen } = {}) {
  const m = textModel(config);
  const notes = [];
  const scheme = positionFamily(m);
  if (scheme !== 'rope') {
    fail('OUT_OF_RANGE', `config has no rotary position information: model_type ${show(m.modelType)} uses ${scheme} positions`);
  }
  if (!absent(seqLen)) integer('seqLen', seqLen);
  const set = ropeParameterSet(m, layerType, notes);
  const p = object(set.path, set.params) ?? {};
  const at = (key) => `${set.path}.${key}`;

  let ropeType = string(at('rope_type'), p.rope_type) ?? string(at('type'), p.type) ?? 'default';
  const typePath = !absent(p.rope_type) ? at('rope_type') : at('type');
  if (ropeType === 'mrope') {
    notes.push(`${typePath} 'mrope' is default RoPE over mrope_section (HF rewrites it to 'default')`);
    ropeType = 'default';
  } else if (ropeType === 'su' || (ropeType === 'yarn' && m.modelType === 'phi3')) {
    notes.push(`${typePath} ${show(ropeType)} is longrope (HF's Phi3Config renames it)`);
    ropeType = 'longrope';
  }
  if (!ROPE_TYPES.includes(ropeType)) {
    fail('OUT_OF_RANGE', `${typePath} must be one of ${ROPE_TYPES.map(show).join(', ')}, got ${show(ropeType)}`);
  }

  let base = number(at('rope_theta'), p.rope_theta);
  if (base === undefined) {
    base = 10000;
    notes.push(`${at('rope_theta')} absent: 10000, HF's default`);
  }
  const headDim = headDimOf(m, set.layerType, notes);
  const topPrf = m.get('partial_rotary_factor').value !== undefined ? m.get('partial_rotary_factor') : m.get('rotary_pct');
  const prf = number(at('partial_rotary_factor'), p.partial_rotary_factor) ?? number(topPrf.path, topPrf.value) ?? 1;
  if (!(prf > 0 && prf <= 1)) fail('OUT_OF_RANGE', `partial_rotary_factor must be in (0, 1], got ${prf}`);
  const mpeField = m.get('max_position_embeddings');
  const maxPositionEmbeddings = integer(mpeField.path, mpeField.value) ?? null;

  const scaling = { rope_type: ropeType };
  for (const key of SCALING_KEYS[ropeType]) {
    const v = p[key];
    if (absent(v)) continue;
    if (key === 'truncate') scaling[key] = boolean(at(key), v);
    else if (key === 'short_factor' || key === 'long_factor') scaling[key] = numbers(at(key), v);
    else if (key === 'original_max_position_embeddings') scaling[key] = integer(at(key), v);
    else scaling[key] = number(at(key), v);
  }
  for (const key of REQUIRED_KEYS[ropeType] ?? []) {
    if (scaling[key] === undefined) fail('SHAPE_MISMATCH', `${at(key)} must be given for rope_type ${show(ropeType)}, got undefined`);
  }
  if (['llama3', 'yarn', 'longrope'].includes(ropeType)) {
    // As HF's standardize_rope_params: a top-level original length wins (Phi-3 keeps it there).
    const top = m.get('original_max_position_embeddings');
    const topValue = integer(top.path, top.value);
    if (topValue !== undefined) {
      if (scaling.original_max_position_embeddings !== undefined && scaling.original_max_position_embeddings !== topValue) {
        notes.push(`${at('original_max_position_embeddings')} (${scaling.original_max_position_embeddings}) replaced by ${top.path} (${topValue}), as HF does`);
      } else if (scaling.original_max_position_embeddings === undefined) {
        notes.push(`original_max_position_embeddings read from ${top.path} (${topValue}), not from ${set.path}`);
      }
      scaling.original_max_position_embeddings = topValue;
    } else if (scaling.original_max_position_embeddings === undefined && maxPositionEmbeddings !== null) {
      scaling.original_max_position_embeddings = maxPositionEmbeddings;
      notes.push(`${at('original_max_position_embeddings')} absent: max_position_embeddings (${maxPositionEmbeddings}), as HF does`);
    }
  }

  const desc = {
    ropeType,
    base,
    headDim,
    dRot: ropeType === 'proportional' ? headDim : Math.trunc(headDim * prf),
    layout: 'half',
    maxPositionEmbeddings,
    originalMaxPositionEmbeddings: scaling.original_max_position_embeddings ?? null,
    scaling: ropeType === 'default' ? null : scaling,
    layerType: set.layerType,
  };
  if (!absent(seqLen)) desc.seqLen = seqLen;
  if (ropeType === 'longrope') {
    for (const key of ['short_factor', 'long_factor']) numbers(at(key), scaling[key], desc.dRot / 2);
  }

  const interleaveFlag = boolean(m.get('rope_interleave').path, m.get('rope_interleave').value);
  if (interleaveFlag === true || (interleaveFlag === undefined && INTERLEAVED_MODELS.has(m.modelType))) {
    desc.layout = 'interleaved';
    if (interleaveFlag === undefined) notes.push(`layout interleaved: ${m.modelType}'s own code rotates pairs (x[2j], x[2j+1])`);
  }

  const section = numbers(at('mrope_section'), p.mrope_section);
  if (section) {
    const sum = section.reduce((a, b) => a + b, 0);
    if (section.length !== 3 || !section.every(Number.isInteger) || sum !== desc.dRot / 2) {
      fail('SHAPE_MISMATCH', `${at('mrope_section')} must be 3 integers summing to dRot/2 = ${desc.dRot / 2}, got [${section.join(', ')}]`);
    }
    desc.mropeSection = section;
    const flag = boolean(at('mrope_interleaved'), p.mrope_interleaved);
    desc.mropeInterleaved = ALWAYS_INTERLEAVED_MROPE.has(m.modelType) || flag === true;
    if (desc.mropeInterleaved && flag !== true) notes.push(`mropeInterleaved: ${m.modelType}'s model always interleaves, whatever mrope_interleaved says`);
  }

  if (ropeType === 'proportional') {
    if (headDim % 2 !== 0) fail('SHAPE_MISMATCH', `head dim ${headDim} must be even for proportional RoPE`);
    desc.invFreq = proportionalInvFreq(headDim, base, prf, scaling.factor ?? 1);
    desc.explicitInvFreq = true;
    desc.partialRotaryFactor = prf;
    desc.attentionFactor = 1;
    desc.scaling = null;
  }
  desc.notes = notes;
  return desc;
}

// ---- layers -----------------------------------------------------------------------------------------

const ALIBI_MODELS = new Set(['bloom']);
const LEARNED_MODELS = new Set(['gpt2', 'gpt_neo', 'opt', 'gpt_bigcode', 'biogpt']);
const T5_MODELS = new Set(['t5', 'mt5', 'umt5', 'longt5', 'switch_transformers']);
const SINUSOIDAL_MODELS = new Set(['marian', 'fsmt', 'pegasus', 'speech_to_text']);

// The model's positional scheme: 'rope' | 'alibi' | 'learned' | 't5' | 'sinusoidal' | null.
function positionFamily(m) {
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

function layerCount(m) {
  for (const key of ['num_hidden_layers', 'n_layer', 'num_layers', 'n_layers']) {
    const f = m.get(key);
    if (!absent(f.value)) return integer(f.path, f.value);
  }
  fail('OUT_OF_RANGE', 'config has no layer count: it needs num_hidden_layers (or n_layer, num_layers, n_layers)');
}

// Each layer's type as HF's config class derives it: { types, source }.
function layerTypesOf(m, notes) {
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
function ropeUsage(m, n, notes) {
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

// ---- multimodal RoPE (Qwen2-VL family) -----------------------------------------------------------------

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
