// The types of attention: sdpa's options and the KVCache class (see index.d.ts for sdpa itself).
import type { HeapTensor, TensorLike, Out, Positions, AlibiMode } from '../index.js';

/**
 * One attention layer's keys and values for decoding, in WebAssembly memory: keys [batch, kvHeads,
 * length, headDim] and values [batch, kvHeads, length, vDim] in the layout sdpa reads in place. Pass the
 * same cache as both k and v: `pe.sdpa(q, cache, cache, options)` (a cache as only one of them is
 * SHAPE_MISMATCH). Storage doubles when full, so n appends copy O(n) values in all. Free it with
 * `delete()` or `using`.
 */
export interface KVCache {
  readonly batch: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly vDim: number;
  /** Positions held. */
  readonly length: number;
  /** Positions the storage holds before it grows (at least 16 once anything is stored). */
  readonly capacity: number;
  readonly deleted: boolean;
  /**
   * Appends n positions: k [batch, kvHeads, n, headDim], v [batch, kvHeads, n, vDim], as tensors or as
   * bare Float32Arrays of that many values.
   */
  append(k: TensorLike | Float32Array, v: TensorLike | Float32Array): this;
  /** Forgets every position (length 0), keeping the storage. */
  clear(): this;
  /** Frees the memory; any later use throws DELETED. Calling it again does nothing. */
  delete(): void;
  [Symbol.dispose](): void;
}
export interface KVCacheConstructor {
  /** batch defaults to 1, vDim to headDim, capacity (positions reserved up front) to 0. */
  new (config: { batch?: number; kvHeads: number; headDim: number; vDim?: number; capacity?: number }): KVCache;
}

/** sdpa's options; all compose (docs/encodings/attention.md gives the order of the terms). */
export interface SdpaOptions {
  /** Added to the scores: [heads, qLen, kLen] or [batch, heads, qLen, kLen]. */
  bias?: TensorLike;
  /** ALiBi inside the kernel: a mode (true = 'causal') or the slopes [heads]. */
  alibi?: AlibiMode | boolean | Float32Array | TensorLike;
  /** Hides keys after each query's position qOffset + i. */
  causal?: boolean;
  /** The first query's absolute position (default kLen − qLen); must be ≥ 0. */
  qOffset?: number;
  /** Default 1/√headDim. */
  scale?: number;
  /** 1 = a real token, 0 = padding: a Uint8Array of batch·kLen or `{ data, shape: [batch, kLen] }`. */
  keyPadding?: Uint8Array | ArrayLike<number | boolean> | { data: Uint8Array; shape: [number, number] };
  /**
   * `{ data, shape }` broadcastable to [batch, heads, qLen, kLen] (each dim 1 or full; fewer dims are
   * padded with leading 1s): Float32Array data is added to the scores, Uint8Array data keeps keys (1 = visible).
   */
  mask?: { data: Float32Array | Uint8Array; shape: number[] } | HeapTensor;
  /** Sliding window W (Mistral, Gemma 2, GPT-OSS): the query at position p sees keys p − W < j ≤ p (W keys); implies causal. */
  window?: number;
  /** Chunked attention (Llama 4): query and key in the same chunk, counted from the row's first real key. */
  chunkSize?: number;
  /** One sink logit per query head [heads] (GPT-OSS): joins the softmax denominator, adds no value. */
  sinks?: Float32Array | TensorLike;
  /** Llama 4 NoPE layers: scores at position p times log1p(floor((p + 1) / floorScale)) · attnScale + 1 (defaults 8192, 0.1). */
  queryTemperature?: { floorScale?: number; attnScale?: number };
  /** Gemma 2: scaled scores become cap · tanh(s / cap) before bias, ALiBi and masks are added. */
  softcap?: number;
  returnProbs?: boolean;
  out?: Out;
  probsOut?: Out;
}
