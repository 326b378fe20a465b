// The types of the gradient functions, the seeded tasks and the TinyTransformer (see index.d.ts for the API
// object that holds them).
import type { HeapTensor, ModuleBase, RopeLayout, RopeScaling, Tensor, TensorLike } from '../index.js';

/** The options of ropeForward's kernel path (no config/rope/layerType). */
export interface RopeGradientOptions {
  dRot?: number; base?: number; layout?: RopeLayout; positions?: Int32Array | Tensor<Int32Array> | HeapTensor<Int32Array>; offset?: number;
  inverse?: boolean; scaling?: RopeScaling; maxPositionEmbeddings?: number; seqLen?: number;
}
/** The options of xposApply. */
export interface XposGradientOptions {
  role?: 'q' | 'k'; positions?: Int32Array | Tensor<Int32Array> | HeapTensor<Int32Array>; offset?: number; base?: number; gamma?: number;
  scaleBase?: number; center?: number; layout?: RopeLayout;
}
/** A batch of next-token examples, what Task.sample returns: row-major [batch, seq] token ids. */
export interface TokenBatch {
  tokens: Int32Array;
  targets: Int32Array;
  /** 1 where the loss is taken; absent: every position. */
  mask?: Uint8Array;
  batch: number;
  seq: number;
}
export type TaskKind = 'copy' | 'reverse' | 'recall' | 'text';
/**
 * A seeded synthetic task at any content length L. copy: x₁…x_L SEP x₁…x_L (loss on the copy, seq 2L);
 * reverse: the same reversed; recall: k₁v₁…k_Lv_L SEP q a (loss on a, seq 2L+2); text: next character of a text
 * (seq L; the default text is written for the project).
 */
export interface Task extends ModuleBase {
  readonly kind: TaskKind;
  readonly vocabSize: number;
  /** The longest L (text: the text's length − 1). */
  readonly maxLength: number;
  /** text: the character of each token id. */
  readonly alphabet: string;
  sequenceLength(length: number): number;
  /** The same (batch, length, seed) gives the same batch in every build. */
  sample(batch: number, length: number, seed?: number): TokenBatch & { mask: Uint8Array };
}
export type PositionalScheme = 'none' | 'sinusoidal' | 'learned' | 'rope' | 'xpos' | 'alibi' | 't5' | 'randomized';
/** Defaults in parentheses. */
export interface TinyTransformerOptions {
  /** (16) in [2, 65536]. */
  vocabSize?: number;
  /** (2) in [1, 4]. */
  layers?: number;
  /** (64) in [2, 256], a multiple of heads. */
  dModel?: number;
  /** (4) in [1, 8]. */
  heads?: number;
  /** (0: 4·dModel) at most 1024. */
  mlpHidden?: number;
  /** (1024) the longest sequence, the learned table's rows; at most 8192. */
  maxLen?: number;
  /** (true) logits from the token embedding, else their own matrix. */
  tieEmbeddings?: boolean;
  /** ('rope') none is NoPE; sinusoidal adds initStd times the sinusoid table (the token-to-position ratio of Vaswani et al.); randomized samples sorted positions from [0, maxRandomPosition) (Ruoss et al. 2023): fresh each training step, fixed per batch row in evaluate and attention. */
  positional?: PositionalScheme;
  /** rope, xpos and randomized: base (10000), layout ('half'), dims (headDim), scaling, evalScaling (replaces scaling in evaluate and attention only), maxPositionEmbeddings. */
  rope?: { base?: number; layout?: RopeLayout; dims?: number; scaling?: RopeScaling; evalScaling?: RopeScaling; maxPositionEmbeddings?: number };
  /** t5: one shared [numBuckets (32), heads] table, causal buckets up to maxDistance (128). */
  t5?: { numBuckets?: number; maxDistance?: number };
  /** (2048) randomized only. */
  maxRandomPosition?: number;
  /** ('rope') randomized over 'rope' or 'sinusoidal'. */
  randomizedBase?: 'rope' | 'sinusoidal';
  initStd?: number;
  layerNormEps?: number;
  /** AdamW: learningRate (1e-3), beta1 (0.9), beta2 (0.95), eps (1e-8), weightDecay (0.01), warmupSteps (0), totalSteps (1000, cosine decay to minLearningRateRatio (0.1)·rate), clipNorm (1; 0 disables). */
  optimizer?: {
    learningRate?: number; beta1?: number; beta2?: number; eps?: number; weightDecay?: number; warmupSteps?: number;
    totalSteps?: number; minLearningRateRatio?: number; clipNorm?: number;
  };
  /** (0) weights and randomized positions; the same seed and batches give the same bits on one build. */
  seed?: number;
}
/** A decoder-only pre-LayerNorm transformer trained in WebAssembly, deterministic. */
export interface TinyTransformer extends ModuleBase {
  readonly positional: PositionalScheme;
  readonly parameterCount: number;
  readonly steps: number;
  /** Forward, backward, clipping, one AdamW step: the loss before the update and the gradient norm before clipping. */
  trainStep(batch: TokenBatch): { loss: number; gradNorm: number; learningRate: number };
  /** Evaluation positions (0…seq−1) and rope.evalScaling; no update. perPosition: accuracy at each position. */
  evaluate(batch: TokenBatch): { loss: number; accuracy: number; perPosition: Float64Array };
  /** Attention probabilities of one layer (default 0): tokens of one sequence, or batch·seq with batch → [batch, heads, seq, seq]. */
  attention(tokens: Int32Array, options?: { layer?: number; batch?: number; seq?: number }): Tensor;
  /**
   * Every parameter by name; with { optimizer: true } also AdamW's state ("optimizer.m", "optimizer.v":
   * [parameterCount]; "optimizer.steps": [1]), so a second model given it continues training to the same bits.
   */
  stateDict(options?: { optimizer?: boolean }): Record<string, Tensor>;
  /** Every tensor of stateDict() by name with its shape, and the optimizer's state if given; nothing changes on an error. */
  loadStateDict(state: Record<string, TensorLike>): this;
}
export interface TinyTransformerConstructor {
  new (options?: TinyTransformerOptions): TinyTransformer;
}
