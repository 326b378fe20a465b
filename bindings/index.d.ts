// posenc — transformer positional encodings as WebAssembly SIMD kernels: the package's public API, and
// its reference. Everything is float32 and row-major; shapes are explicit, never guessed. Every options
// object is checked: a key a function does not take is an OUT_OF_RANGE error naming it (keys inside a
// `scaling` object are exempt: a config's rope_scaling may carry keys posenc does not read).
//
// Trust: posenc reads each value you pass once, and judges a typed array only by what the built-in
// TypedArray getters say (its real buffer, offset and length): a subclass's overridden `length`, `set` or
// other members are never called, and a Proxy is not a typed array (SHAPE_MISMATCH). A typed array that
// views WebAssembly memory (e.g. `heapTensor.data.subarray(...)`) is read and written there by address,
// so it stays right when a call grows memory; one already detached is SHAPE_MISMATCH. An exception thrown
// by your own getter propagates unchanged.
//
// Sizes: every size and position must be an integer of at most 2^31−1 (BAD_SIZE / BAD_POSITION, also for
// the last position offset + seq − 1), and no tensor, result, table or cache may have more than
// MAX_ELEMENTS = 2^28 elements (BAD_SIZE naming the request and the limit, before anything is allocated;
// a result's size is checked after the arguments it is computed from). Running out of WebAssembly memory
// (2 GiB at most) anyway is BAD_SIZE naming the call.
//
// Outputs: an `out` in WebAssembly memory (a heap tensor or a view of one) may not overlap an input or
// another output (SHAPE_MISMATCH), except that element-wise functions (ropeForward, xposApply, dropout,
// sinusoidalForward, learnedForward, t5Buckets, the modules' forward; q→qOut and k→kOut of RoPE) may
// write exactly over their main input, in place.
//
// NaN: NaN or ±Infinity in a parameter or option is NON_FINITE. NaN or ±Infinity in tensor data (x, q,
// k, v, scores) is not checked: it propagates through the arithmetic as IEEE 754 says, to the outputs it
// feeds and no others.

/** A dense row-major tensor: `data.length` is the product of `shape`. */
export interface Tensor<T extends Float32Array | Int32Array = Float32Array> {
  data: T;
  shape: number[];
}

/**
 * A tensor living in WebAssembly memory (the zero-copy path): every function accepts it as input and as
 * `out` (then it writes in place, without copies). Free it with `delete()` or `using`.
 */
export interface HeapTensor<T extends Float32Array | Int32Array = Float32Array> {
  readonly shape: readonly number[];
  readonly dtype: T extends Int32Array ? 'int32' : 'float32';
  readonly length: number;
  /** Address in WebAssembly memory, in bytes. */
  readonly byteOffset: number;
  readonly deleted: boolean;
  /**
   * A fresh view of the current WebAssembly memory on every access. Do not keep it across posenc calls:
   * a call that grows memory detaches older views (they read as empty) — read `.data` again instead.
   */
  readonly data: T;
  /** An owned copy of the values (stays valid forever). */
  read(): T;
  /** Copies values of the same type and length into the tensor. */
  write(values: T): this;
  /** Frees the memory; any later use throws an Error with code 'DELETED'. Calling it again does nothing. */
  delete(): void;
  [Symbol.dispose](): void;
}

/** Anything a float tensor argument accepts. */
export type TensorLike = Tensor | HeapTensor;
/** Where a result goes: a typed array of the right length, a `{data, shape}`, or a heap tensor (in place). */
export type Out<T extends Float32Array | Int32Array = Float32Array> = T | Tensor<T> | HeapTensor<T>;
/** Explicit positions per sequence index, shape (seq,) or (batch, seq); a bare Int32Array of batch·seq is (batch, seq). */
export type Positions = Int32Array | Tensor<Int32Array> | HeapTensor<Int32Array>;
/** 0/1 per element: a Uint8Array, any typed array or array of 0/1 (or booleans). */
export type KeepMask = Uint8Array | ArrayLike<number | boolean>;

/**
 * What went wrong. With several faults in one call the first code of this list is reported:
 * NON_FINITE, BAD_HEADS, BAD_SIZE, ODD_DIM, ROT_DIM, OUT_OF_RANGE, SHAPE_MISMATCH, BAD_POSITION. Besides
 * those, LOAD_FAILED (load()), DELETED (use after delete()) and INTERNAL (an error posenc did not
 * anticipate; please report it).
 */
export type ErrorCode =
  | 'NON_FINITE' | 'BAD_HEADS' | 'BAD_SIZE' | 'ODD_DIM' | 'ROT_DIM' | 'OUT_OF_RANGE' | 'SHAPE_MISMATCH'
  | 'BAD_POSITION' | 'LOAD_FAILED' | 'DELETED' | 'INTERNAL';

/** Every error posenc throws; the message names the argument, the value and the rule ("d must be even, got 7"). */
export class PosencError extends Error {
  readonly code: ErrorCode;
}

/** RoPE pair layout: `half` pairs (x[j], x[j+dRot/2]) (HF, GPT-NeoX); `interleaved` pairs (x[2j], x[2j+1]) (Meta LLaMA, RoFormer, GPT-J). */
export type RopeLayout = 'half' | 'interleaved';
export type RopeType = 'default' | 'linear' | 'dynamic' | 'yarn' | 'llama3' | 'longrope' | 'proportional';
export type AlibiMode = 'causal' | 'symmetric' | 'key_only';

/**
 * A Hugging Face `rope_scaling` object exactly as in a model's config.json (snake_case keys). Unknown keys
 * are ignored; `rope_type` (or the older `type`) selects the variant.
 */
export interface RopeScaling {
  rope_type?: RopeType;
  type?: RopeType;
  factor?: number;
  original_max_position_embeddings?: number;
  attention_factor?: number;
  beta_fast?: number;
  beta_slow?: number;
  mscale?: number;
  mscale_all_dim?: number;
  truncate?: boolean;
  low_freq_factor?: number;
  high_freq_factor?: number;
  /** proportional (Gemma 4): the first int(partial_rotary_factor · dRot // 2) pairs turn, the rest keep frequency 0. */
  partial_rotary_factor?: number;
  short_factor?: ArrayLike<number>;
  long_factor?: ArrayLike<number>;
  [key: string]: unknown;
}

export interface DropoutOptions {
  /** Drop probability in [0, 1]. */
  p?: number;
  /** Dropout runs only when true (default false). */
  train?: boolean;
  /** Explicit keep mask (one 0/1 per element); otherwise drawn from `seed`. */
  keepMask?: KeepMask;
  /** Seed of the dropout mask (default 0: the same mask every call). */
  seed?: number;
}

export interface Features {
  /** True when the SIMD128 build is running. */
  simd: boolean;
  /** Package version. */
  version: string;
  /** The instruction set the kernels were compiled for: 'wasm' (SIMD128) or 'scalar'. */
  arch: string;
}

export interface MemoryStats {
  /** Size of WebAssembly memory in bytes. */
  heapBytes: number;
  /** Bytes currently allocated by malloc. */
  inUse: number;
  /** The most memory malloc has held at once since load (its peak footprint), in bytes. */
  peakBytes: number;
  /** The wasm stack pointer (constant between calls unless something leaks). */
  stackPointer: number;
  /** Live Embind handles to JS values (constant between calls unless something leaks). */
  handles: number;
}

export interface ModuleBase {
  /** True in train mode (the default, as for PyTorch modules): dropout is active where the module has it. */
  readonly training: boolean;
  readonly deleted: boolean;
  train(on?: boolean): this;
  eval(): this;
  /** Frees the module's WebAssembly memory (not reclaimed by GC); any later use throws code 'DELETED'. */
  delete(): void;
  /** `using m = new pe.X(...)` deletes at the end of the block. */
  [Symbol.dispose](): void;
}

/** The seed's sinusoidal module: a (maxLen, dim) table computed once; forward adds rows and drops out. */
export interface SinusoidalPositionalEncoding extends ModuleBase {
  readonly dim: number;
  readonly maxLen: number;
  /** x: [batch, seq, dim] → x + pe[offset … offset+seq−1], then dropout in train mode. */
  forward(x: TensorLike, options?: { offset?: number; out?: Out }): Tensor;
  forward(x: TensorLike, options: { offset?: number; out: HeapTensor }): HeapTensor;
  /** `{ pe: [maxLen, dim] }` (a computed buffer). */
  stateDict(): { pe: Tensor };
  /** Checks `pe` matches this config (it is computed, not learned). */
  loadStateDict(state: { pe: TensorLike }): this;
}

/** Learned absolute embedding (GPT-2 wpe) with optional scale, LayerNorm and clipped relative bias. */
export interface LearnedPositionalEmbedding extends ModuleBase {
  readonly dim: number;
  readonly maxLen: number;
  readonly numHeads: number;
  readonly maxDistance: number;
  /** x: [batch, seq, dim] → x + scale·table[pos], LayerNorm if configured, dropout in train mode. */
  forward(x: TensorLike, options?: { offset?: number; positions?: Positions; out?: Out }): Tensor;
  /** [numHeads, qLen, kLen] from the learned (2·maxDistance+1, numHeads) table; needs `relative: true`. */
  relativeBias(qLen: number, kLen: number, options?: { qOffset?: number; out?: Out }): Tensor;
  /** Owned copies: table [maxLen, dim], gamma/beta [dim] with layerNorm, relativeTable with relative. */
  stateDict(): { table: Tensor; gamma?: Tensor; beta?: Tensor; relativeTable?: Tensor };
  /** Copies every parameter this config has from `state` (shapes must match). */
  loadStateDict(state: { table: TensorLike; gamma?: TensorLike; beta?: TensorLike; relativeTable?: TensorLike }): this;
}

/** RoPE with a cos/sin cache shared by all heads, grown (doubled) when a forward reaches past it. */
export interface RotaryPositionalEmbedding extends ModuleBase {
  readonly dim: number;
  readonly maxLen: number;
  readonly layout: RopeLayout;
  /** Positions the cache covers now. */
  readonly cachedLen: number;
  /**
   * q: [batch, heads, qSeq, dim], k: [batch, heads, kSeq, dim] → [q rotated, k rotated]. Keys sit at
   * offset + j and queries at the last qSeq of those positions (KV-cache decoding), or both at `positions`.
   * `qOut`/`kOut` may be the q/k heap tensors themselves (in place).
   */
  forward(q: TensorLike, k: TensorLike, options?: { offset?: number; positions?: Positions; qOut?: Out; kOut?: Out }): [Tensor, Tensor];
  /** `{ invFreq: [dim/2] }` (computed from the config). */
  stateDict(): { invFreq: Tensor };
  loadStateDict(state: { invFreq: TensorLike }): this;
}

/** ALiBi with a cached causal bias, sliced per call. */
export interface ALiBiPositionalEncoding extends ModuleBase {
  readonly numHeads: number;
  readonly maxLen: number;
  /** The causal bias [numHeads, qLen, kLen]; queries sit at the last positions unless `qOffset`. */
  bias(qLen: number, kLen: number, options?: { qOffset?: number; out?: Out }): Tensor;
  /** scores: [batch, numHeads, qLen, kLen] → scores + bias. */
  forward(scores: TensorLike, options?: { qOffset?: number; out?: Out }): Tensor;
  /** `{ slopes: [numHeads] }` (computed from numHeads). */
  stateDict(): { slopes: Tensor };
  loadStateDict(state: { slopes: TensorLike }): this;
}

export interface SinusoidalPositionalEncodingConstructor {
  new (config: { dim: number; maxLen?: number; dropout?: number; base?: number; seed?: number }): SinusoidalPositionalEncoding;
}
export interface LearnedPositionalEmbeddingConstructor {
  new (config: {
    dim: number; maxLen?: number; dropout?: number; scale?: number; layerNorm?: boolean; relative?: boolean;
    numHeads?: number; maxDistance?: number; seed?: number;
  }): LearnedPositionalEmbedding;
}
export interface RotaryPositionalEmbeddingConstructor {
  /**
   * With `mropeSection` (M-RoPE) forward's `positions` may be t, h, w streams: a tensor [3, seq] or
   * [batch, 3, seq]; one stream ([seq] or [batch, seq]) turns every pair alike (text tokens, t = h = w).
   */
  new (config: {
    dim: number; maxLen?: number; base?: number; layout?: RopeLayout; scaling?: RopeScaling | null;
    maxPositionEmbeddings?: number; mropeSection?: [number, number, number]; mropeInterleaved?: boolean;
  }): RotaryPositionalEmbedding;
  /**
   * From a model's config (dim = its dRot), proportional and M-RoPE included. Throws ROT_DIM for partial
   * rotary without `dim`: ropeForward applies that.
   */
  new (config: RopeSource & {
    dim?: number; maxLen?: number; base?: number; layout?: RopeLayout; scaling?: RopeScaling | null;
    maxPositionEmbeddings?: number; mropeSection?: [number, number, number]; mropeInterleaved?: boolean;
  }): RotaryPositionalEmbedding;
}
export interface ALiBiPositionalEncodingConstructor {
  new (config: { numHeads: number; maxLen?: number }): ALiBiPositionalEncoding;
}

/** A result written to `out`: the same heap tensor when `out` was one, else `{data, shape}`. */
type Result<O> = O extends HeapTensor<infer T> ? HeapTensor<T> : Tensor;

export * from './types/model-config.js';
export * from './types/attention.js';
export * from './types/training.js';
import type { HfConfig, RopeDescription, LayerDescription, MropeSegment, RopeSource } from './types/model-config.js';
import type { KVCache, KVCacheConstructor, SdpaOptions } from './types/attention.js';
import type { RopeGradientOptions, XposGradientOptions, TokenBatch, TaskKind, Task, PositionalScheme, TinyTransformerOptions, TinyTransformer, TinyTransformerConstructor } from './types/training.js';

/** The API returned by `load()`. Results of copying calls are owned copies that stay valid forever. */
export interface Posenc {
  readonly features: Features;

  /** Rows start … start+count−1 of the sinusoidal table: [count, d] with PE[p,2i] = sin(p·ω_i), PE[p,2i+1] = cos(p·ω_i). */
  sinusoidalTable<O extends Out | undefined = undefined>(maxLen: number, d: number,
    options?: { base?: number; start?: number; count?: number; out?: O }): Result<O>;
  /** x: [batch, seq, d] → x + PE[offset+s], then dropout (defaults maxLen 5000, p 0.1, train false). */
  sinusoidalForward<O extends Out | undefined = undefined>(x: TensorLike,
    options?: { maxLen?: number; offset?: number; base?: number; out?: O } & DropoutOptions): Result<O>;
  /** x: [batch, seq, d], table: [maxLen, d] → x + scale·table[pos], LayerNorm if useLn, dropout. */
  learnedForward<O extends Out | undefined = undefined>(x: TensorLike, table: TensorLike, options?: {
    offset?: number; positions?: Positions; scale?: number; useLn?: boolean; gamma?: Float32Array | TensorLike;
    beta?: Float32Array | TensorLike; eps?: number; out?: O;
  } & DropoutOptions): Result<O>;
  /** table: [2K+1, heads] → bias [numHeads, qLen, kLen], bias[h,i,j] = table[clip(j−(qOffset+i), −K, K)+K][h]. */
  clippedRelativeBias<O extends Out | undefined = undefined>(table: TensorLike, options: {
    numHeads?: number; maxDistance?: number; qLen: number; kLen: number; qOffset?: number; out?: O;
  }): Result<O>;
  /** Inverse frequencies (dRot/2) and attention factor of a RoPE variant. */
  ropeParams(dRot: number, options?: {
    base?: number; scaling?: RopeScaling | null; maxPositionEmbeddings?: number; seqLen?: number;
  }): { invFreq: Float32Array; attentionFactor: number };
  /**
   * x: [batch, heads, seq, headDim] rotated (q and k alike); partial rotary with dRot < headDim. With
   * `config` or `rope` (RopeSource) the model's RoPE, explicit options overriding its fields; for an
   * M-RoPE description (or `mropeSection`) `positions` may be t, h, w streams: a tensor [3, seq] or
   * [batch, 3, seq] (batch first; HF's position_ids are (3, batch, seq)), e.g. from mropePositions.
   */
  ropeForward<O extends Out | undefined = undefined>(x: TensorLike, options?: RopeSource & {
    dRot?: number; base?: number; layout?: RopeLayout; positions?: Positions; offset?: number; inverse?: boolean;
    scaling?: RopeScaling | null; maxPositionEmbeddings?: number; seqLen?: number; out?: O;
    mropeSection?: [number, number, number]; mropeInterleaved?: boolean;
  }): Result<O>;
  /**
   * 2-D RoPE of a vision encoder, x: [batch, heads, tokens, headDim] (headDim a multiple of 4), patches in
   * the model's order: 'pixtral' row-major; 'qwen2vl' in spatialMergeSize² blocks (default 2); 'llama4'
   * row-major, positions from 1, plus a last CLS token left unturned (tokens = h·w + 1).
   */
  visionRopeForward<O extends Out | undefined = undefined>(x: TensorLike, options: {
    grid: [number, number]; style: 'pixtral' | 'qwen2vl' | 'llama4'; base?: number; spatialMergeSize?: number;
    inverse?: boolean; out?: O;
  }): Result<O>;
  /**
   * The RoPE of one layer type of a Hugging Face config.json (v4 or v5 layout, text_config of multimodal
   * models), with the kernel's frequencies. `layerType` picks among per-layer-type parameters (default
   * full_attention); `seqLen` selects dynamic NTK's and LongRoPE's regime as HF does.
   */
  ropeFromConfig(config: HfConfig, options?: { layerType?: string; seqLen?: number }): RopeDescription;
  /** One entry per layer, as HF's modeling code reads the config (layer_types, sliding_window, no_rope_layers, …). */
  describeLayers(config: HfConfig): LayerDescription[];
  /**
   * Qwen2-VL get_rope_index position ids [3, seq] (rows t, h, w) for text/image/video segments; `next` is
   * where the following text starts. tokensPerSecond (Qwen2.5-VL) places video frames in time.
   */
  mropePositions(segments: MropeSegment[], options?: { spatialMergeSize?: number; tokensPerSecond?: number }):
    { data: Int32Array; shape: [3, number]; next: number };
  /** The stream ('t', 'h' or 'w') that turns each frequency j < dRot/2 of an M-RoPE description. */
  mropeFrequencyAxes(rope: { mropeSection: ArrayLike<number>; mropeInterleaved?: boolean }): Array<'t' | 'h' | 'w'>;
  /** xPos: RoPE plus the decaying scale ζ^(±(n−c)/scaleBase), role 'q' or 'k'; x: [batch, heads, seq, headDim]. */
  xposApply<O extends Out | undefined = undefined>(x: TensorLike, options?: {
    role?: 'q' | 'k'; positions?: Positions; offset?: number; base?: number; gamma?: number; scaleBase?: number;
    center?: number; layout?: RopeLayout; out?: O;
  }): Result<O>;
  /** The authors' ALiBi slopes (non-monotonic for non-powers of two, as trained checkpoints expect). */
  alibiSlopes(numHeads: number, options?: { out?: Float32Array }): Float32Array;
  /** ALiBi bias [numHeads, qLen, kLen] (default mode 'causal', qOffset kLen − qLen). */
  alibiBias<O extends Out | undefined = undefined>(numHeads: number, qLen: number, kLen: number,
    options?: { qOffset?: number; mode?: AlibiMode; out?: O }): Result<O>;
  /** T5 bucket of each relative position (key − query). */
  t5Buckets(relativePositions: Int32Array,
    options?: { bidirectional?: boolean; numBuckets?: number; maxDistance?: number; out?: Int32Array }): Int32Array;
  t5Buckets(relativePositions: Tensor<Int32Array> | HeapTensor<Int32Array>,
    options?: { bidirectional?: boolean; numBuckets?: number; maxDistance?: number; out?: Out<Int32Array> }): Tensor<Int32Array>;
  /** table: [numBuckets, heads] → bias [numHeads, qLen, kLen]; numBuckets, if given, must equal the table's rows. */
  t5Bias<O extends Out | undefined = undefined>(table: TensorLike, options: {
    numHeads?: number; numBuckets?: number; qLen: number; kLen: number; qOffset?: number; bidirectional?: boolean;
    maxDistance?: number; out?: O;
  }): Result<O>;
  /**
   * Scaled dot-product attention: q [B,H,Q,D], k [B,Hkv,K,D], v [B,Hkv,K,Dv] → out [B,H,Q,Dv] (and probs
   * [B,H,Q,K] with returnProbs). Hkv must divide H (grouped-query and multi-query attention): query head h
   * reads kv head floor(h / (H / Hkv)), with no copy. k and v may instead be one KVCache passed as both.
   * A query row with no visible key gives zero outputs and probabilities, never NaN. qOffset must be ≥ 0
   * in every call: for cross-attention with qLen > kLen pass qOffset: 0.
   */
  sdpa(q: TensorLike, k: TensorLike, v: TensorLike, options?: SdpaOptions): { out: Tensor; probs?: Tensor };
  sdpa(q: TensorLike, k: KVCache, v: KVCache, options?: SdpaOptions): { out: Tensor; probs?: Tensor };
  /** Inverted dropout: identity unless train and p > 0. */
  dropout<O extends Out | undefined = undefined>(x: TensorLike, options?: DropoutOptions & { out?: O }): Result<O>;

  /** Gradient of ropeForward: dy [batch, heads, seq, headDim] → dx (the transposed rotation, times the attention factor). */
  ropeBackward(dy: TensorLike, options?: RopeGradientOptions): Tensor;
  /** Gradient of xposApply: dy → dx. */
  xposBackward(dy: TensorLike, options?: XposGradientOptions): Tensor;
  /** Gradient of learnedForward, whose x and table are options; dGamma and dBeta with useLn. */
  learnedBackward(dy: TensorLike, options: {
    x: TensorLike; table: TensorLike; gamma?: Float32Array | TensorLike; beta?: Float32Array | TensorLike;
    positions?: Int32Array | Tensor<Int32Array> | HeapTensor<Int32Array>; offset?: number; scale?: number; useLn?: boolean; eps?: number;
  } & DropoutOptions): { dx: Tensor; dTable: Tensor; dGamma?: Tensor; dBeta?: Tensor };
  /** dBias [numHeads, qLen, kLen] or [batch, numHeads, qLen, kLen] → dTable [numBuckets, numHeads]. */
  t5BiasBackward(dBias: TensorLike, options?: {
    numHeads?: number; numBuckets?: number; qLen?: number; kLen?: number; qOffset?: number; bidirectional?: boolean; maxDistance?: number;
  }): Tensor;
  /** dBias → dTable [2·maxDistance+1, numHeads]; maxDistance is required. */
  clippedRelativeBiasBackward(dBias: TensorLike, options: {
    maxDistance: number; numHeads?: number; qLen?: number; kLen?: number; qOffset?: number;
  }): Tensor;
  /** Gradient of sdpa; k and v may have fewer heads than q (grouped-query attention); sinks: one logit per head. */
  sdpaBackward(q: TensorLike, k: TensorLike, v: TensorLike, dOut: TensorLike, options?: {
    bias?: TensorLike; alibi?: AlibiMode | boolean | Float32Array | TensorLike; causal?: boolean; qOffset?: number; scale?: number;
    sinks?: Float32Array | TensorLike;
  }): { dq: Tensor; dk: Tensor; dv: Tensor; dBias?: Tensor; dSinks?: Float32Array };
  /** Gradient of LayerNorm over the last axis. */
  layerNormBackward(dy: TensorLike, x: TensorLike, options?: { gamma?: Float32Array | TensorLike; eps?: number }): { dx: Tensor; dGamma: Tensor; dBeta: Tensor };
  /** Gradient of dropout with the forward's keep mask (or seed); train defaults to true here. */
  dropoutBackward(dy: TensorLike, options: DropoutOptions): Tensor;
  /** A seeded task (kind 'copy' by default, symbols 8; text only for kind 'text'). */
  makeTask(options?: { kind?: TaskKind; symbols?: number; text?: string }): Task;
  TinyTransformer: TinyTransformerConstructor;
  /** Every positional scheme TinyTransformer accepts. */
  positionalSchemes: readonly PositionalScheme[];

  SinusoidalPositionalEncoding: SinusoidalPositionalEncodingConstructor;
  LearnedPositionalEmbedding: LearnedPositionalEmbeddingConstructor;
  RotaryPositionalEmbedding: RotaryPositionalEmbeddingConstructor;
  ALiBiPositionalEncoding: ALiBiPositionalEncodingConstructor;
  KVCache: KVCacheConstructor;

  /** A zero-filled tensor in WebAssembly memory. */
  alloc(shape: number[], dtype?: 'float32'): HeapTensor<Float32Array>;
  alloc(shape: number[], dtype: 'int32'): HeapTensor<Int32Array>;
  /** A copy of `data` in WebAssembly memory (shape defaults to [data.length]). */
  tensor(data: Float32Array, shape?: number[]): HeapTensor<Float32Array>;
  tensor(data: Int32Array, shape?: number[]): HeapTensor<Int32Array>;
  /** Heap and stack figures, for leak checks (the kernels' reuse caches are released first, so `inUse` counts what callers own). */
  memoryStats(): MemoryStats;
  PosencError: typeof PosencError;
}

export interface LoadOptions {
  /** 'auto' (default) probes WebAssembly SIMD128 and picks the SIMD or the scalar build; true/false forces one. */
  simd?: 'auto' | boolean;
  /** Where to fetch the chosen build's .wasm from (default: next to the package's .js files). */
  wasmUrl?: string | URL;
  /** The chosen build's .wasm bytes (then nothing is fetched). */
  wasmBinary?: ArrayBuffer | Uint8Array;
}

/** Instantiates posenc; cached per choice, so later calls resolve to the same object. */
export function load(options?: LoadOptions): Promise<Posenc>;
export default load;
/** Whether this engine runs WebAssembly SIMD128 (what `simd: 'auto'` uses). */
export function simdSupported(): boolean;
