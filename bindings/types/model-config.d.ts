// The types of a model's config.json as posenc reads it: RoPE descriptions, layer descriptions, M-RoPE
// segments (see index.d.ts for the functions that take and return them).
import type { RopeLayout, RopeScaling, RopeType } from '../index.js';

/** A Hugging Face config.json as parsed by JSON.parse (transformers v4 or v5 layout). */
export type HfConfig = Record<string, unknown>;

/**
 * One layer type's RoPE, read from a config.json: plain data (JSON-serialisable but for `invFreq`, which
 * ropeForward does not read back: it recomputes the frequencies from the other fields).
 */
export interface RopeDescription {
  /** HF's rope_type after its renames ('mrope' → 'default', Phi-3's 'su'/'yarn' → 'longrope'). */
  ropeType: RopeType | 'proportional';
  base: number;
  headDim: number;
  /** int(headDim · partial_rotary_factor) as HF computes it; headDim for proportional. */
  dRot: number;
  /** 'interleaved' only where the model's own code rotates (x[2j], x[2j+1]) (DeepSeek-V2/V3, Llama 4). */
  layout: RopeLayout;
  /** The dRot/2 frequencies the kernel applies (0 for pairs that do not turn). */
  invFreq: Float32Array;
  attentionFactor: number;
  maxPositionEmbeddings: number | null;
  /** Where it was read from is in `notes` (Phi-3 keeps it at the top level of config.json). */
  originalMaxPositionEmbeddings: number | null;
  /** M-RoPE frequency counts per stream [t, h, w], summing to dRot/2 (Qwen2/2.5-VL, Qwen3-VL). */
  mropeSection?: [number, number, number];
  /** Qwen3-VL's interleaved assignment of frequencies to streams (always true for Qwen3-VL). */
  mropeInterleaved?: boolean;
  /** The rope_scaling fields posenc applies, normalised (null for default RoPE). */
  scaling: RopeScaling | null;
  /** The layer type the parameters belong to (null when the config has one set for all layers). */
  layerType: string | null;
  seqLen?: number;
  /** Where fields were read from when not the obvious place, and HF defaults relied on. */
  notes: string[];
}

/** One layer of a model as its config.json describes it. */
export interface LayerDescription {
  layer: number;
  layerType: string;
  position: 'rope' | 'nope' | 'alibi' | 'learned' | 't5' | 'sinusoidal';
  attention?: 'full' | 'sliding' | 'chunked';
  window?: number;
  chunkSize?: number;
  /** GPT-OSS: a learned sink logit per head. */
  sinks?: boolean;
  bidirectional?: boolean;
  rope?: RopeDescription;
  /** Llama 4 NoPE layers scale the query by log1p(floor((position + 1) / floorScale)) · attnScale + 1. */
  queryTemperature?: { floorScale: number; attnScale: number; formula: string };
  /** DeepSeek-V2/V3: the softmax scale is multiplied by this (mscale²). */
  softmaxScaleMultiplier?: number;
  alibiBiasMax?: number;
  maxPositions?: number;
  stack?: 'encoder' | 'decoder';
  stackLayer?: number;
  t5?: { numBuckets: number; maxDistance: number; ownsTable: boolean };
  /** What could not be told from the config (never guessed). */
  unknown?: string[];
  notes?: string[];
}

/** A piece of a Qwen2-VL-family sequence; grids are the vision tower's [t, h, w] patches. */
export type MropeSegment =
  | { type: 'text'; length: number }
  | { type: 'image'; grid: [number, number, number] }
  | { type: 'video'; grid: [number, number, number]; secondPerGridT?: number };

/** How ropeForward and RotaryPositionalEmbedding take a model's RoPE; explicit options override its fields. */
export interface RopeSource {
  /** A config.json (parsed): the RoPE of `layerType` (default: the full-attention one) is applied. */
  config?: HfConfig;
  /** A layer type of the config ('full_attention', 'sliding_attention', …); needs `config`. */
  layerType?: string;
  /** A description from ropeFromConfig (or describeLayers), also after a JSON round trip. */
  rope?: RopeDescription;
}
