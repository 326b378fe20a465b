// Typed reading of a Hugging Face config.json: each reader takes the field's path (for the message) and
// its value, returns undefined when the field is absent, and throws a coded PosencError naming the path
// when it has the wrong type. Also where a text model's fields live and the HF class defaults.
import { fail, show } from './checks.js';

export const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
export const absent = (v) => v === undefined || v === null;

export function number(path, v) {
  if (absent(v)) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail('SHAPE_MISMATCH', `${path} must be a finite number, got ${show(v)}`);
  return v;
}

export function integer(path, v, min = 1) {
  if (absent(v)) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    fail('SHAPE_MISMATCH', `${path} must be an integer >= ${min}, got ${show(v)}`);
  }
  return v;
}

export function string(path, v) {
  if (absent(v)) return undefined;
  if (typeof v !== 'string') fail('SHAPE_MISMATCH', `${path} must be a string, got ${show(v)}`);
  return v;
}

export function boolean(path, v) {
  if (absent(v)) return undefined;
  if (typeof v !== 'boolean') fail('SHAPE_MISMATCH', `${path} must be true or false, got ${show(v)}`);
  return v;
}

export function object(path, v) {
  if (absent(v)) return undefined;
  if (!isObject(v)) fail('SHAPE_MISMATCH', `${path} must be an object, got ${show(v)}`);
  return v;
}

export function numbers(path, v, length) {
  if (absent(v)) return undefined;
  if (!Array.isArray(v)) fail('SHAPE_MISMATCH', `${path} must be an array of numbers, got ${show(v)}`);
  if (length !== undefined && v.length !== length) {
    fail('SHAPE_MISMATCH', `${path} must have ${length} entries (one per rotated pair), got ${v.length}`);
  }
  return v.map((x, i) => number(`${path}[${i}]`, x) ?? fail('SHAPE_MISMATCH', `${path}[${i}] must be a number, got ${show(x)}`));
}

// A multimodal config keeps its language model in text_config (Llama 4, Gemma 3/4, Qwen3-VL); a field
// missing there falls back to the top level, which is where Qwen2/2.5-VL keep theirs.
// m.get(key) → { value, path }.
export function textModel(config) {
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
export const CLASS_DEFAULTS = {
  gemma3_text: { rope_theta: 1e6, rope_local_base_freq: 1e4, sliding_window_pattern: 6, head_dim: 256 },
  llama4_text: { no_rope_layer_interval: 4, floor_scale: 8192, attn_scale: 0.1 },
  modernbert: { global_attn_every_n_layers: 3, local_attention: 128, global_rope_theta: 160000, local_rope_theta: 10000 },
};
export const classOf = (modelType) =>
  ({ gemma3: 'gemma3_text', llama4: 'llama4_text' })[modelType] ?? modelType;

// A field, or the HF class default (with a note saying so).
export function field(m, key, notes) {
  const f = m.get(key);
  if (!absent(f.value)) return f;
  const d = CLASS_DEFAULTS[classOf(m.modelType)]?.[key];
  if (d !== undefined) {
    notes?.push(`${f.path} absent: ${d}, the default of HF's ${classOf(m.modelType)} config class`);
    return { value: d, path: f.path };
  }
  return f;
}
