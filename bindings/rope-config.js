// The RoPE of one layer type of a Hugging Face config.json (transformers v4 or v5 layout) as a plain
// description, in float64 and without the WebAssembly module; ropeFromConfig (rope-from-config.js) adds
// the kernel's frequencies to it.
import { fail, show } from './checks.js';
import { absent, boolean, classOf, field, integer, isObject, number, numbers, object, string, textModel } from './config-fields.js';
import { layerTypesOf, positionFamily } from './layer-types.js';

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
export function nestedRopeKeys(params) {
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

/**
 * The RoPE of one layer type of a Hugging Face config, normalised so that posenc's
 * `ropeParams(desc.dRot, { base: desc.base, scaling: desc.scaling, maxPositionEmbeddings:
 * desc.maxPositionEmbeddings, seqLen })` reproduces the model (`proportional`'s scaling carries its
 * partial_rotary_factor, its dRot is the whole head). No frequencies here: ropeFromConfig adds them.
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
    scaling.partial_rotary_factor = prf;
  }
  desc.notes = notes;
  return desc;
}

