// A small decoder-only transformer trained in WebAssembly (pre-LayerNorm, GELU MLP, causal attention) with
// the positional scheme a constructor option, AdamW with warm-up and cosine decay, and gradient clipping:
// the same options and batches give the same bits on one build.
import { bool, choice, fail, heads, int, num, options, seed, show, showShape, size } from './checks.js';
import { createScalingArgs } from './rope-scaling-arg.js';

const OPTIONS = ['vocabSize', 'layers', 'dModel', 'heads', 'mlpHidden', 'maxLen', 'tieEmbeddings', 'positional', 'rope',
  't5', 'maxRandomPosition', 'randomizedBase', 'initStd', 'layerNormEps', 'optimizer', 'seed'];
const ROPE = ['base', 'layout', 'dims', 'scaling', 'evalScaling', 'maxPositionEmbeddings'];
const T5 = ['numBuckets', 'maxDistance'];
const OPTIMIZER = ['learningRate', 'beta1', 'beta2', 'eps', 'weightDecay', 'warmupSteps', 'totalSteps', 'minLearningRateRatio',
  'clipNorm'];
const BATCH = ['tokens', 'targets', 'mask', 'batch', 'seq'];
const ATTENTION = ['layer', 'batch', 'seq'];
const STATE = ['optimizer'];
const OPT_M = 'optimizer.m', OPT_V = 'optimizer.v', OPT_STEPS = 'optimizer.steps';
const OPTIMIZER_STATE = [OPT_M, OPT_V, OPT_STEPS];

/** @param {ReturnType<import('./core.js').createCore>} core */
export function createTinyTransformer(core, { Module, stateEntry }) {
  const { M, enums, invoke, valuesArg, vectorArg, maskArg, output, lenOf } = core;
  const { scalingArg } = createScalingArgs(core);
  const SCHEMES = namesOf(M.positionalSchemeName);
  const FIELDS = namesOf(M.tinyTransformerFieldName); // the C++ side's slot order of the options block

  function namesOf(nameAt) {
    const names = [];
    for (let name = nameAt(0); name !== ''; name = nameAt(names.length)) names.push(name);
    return names;
  }

  // Every option checked, defaults filled in (those of the C++ TinyTransformerOptions), flattened by name.
  function fieldsOf(opts) {
    const o = options(opts, OPTIONS, 'TinyTransformer');
    const r = options(o.rope, ROPE, 'TinyTransformer', 'rope');
    const t = options(o.t5, T5, 'TinyTransformer', 't5');
    const a = options(o.optimizer, OPTIMIZER, 'TinyTransformer', 'optimizer');
    const f = {
      ropeBase: num('rope.base', r.base, 10000),
      initStd: num('initStd', o.initStd, 0.02),
      layerNormEps: num('layerNormEps', o.layerNormEps, 1e-5),
      'optimizer.learningRate': num('optimizer.learningRate', a.learningRate, 1e-3),
      'optimizer.beta1': num('optimizer.beta1', a.beta1, 0.9),
      'optimizer.beta2': num('optimizer.beta2', a.beta2, 0.95),
      'optimizer.eps': num('optimizer.eps', a.eps, 1e-8),
      'optimizer.weightDecay': num('optimizer.weightDecay', a.weightDecay, 0.01),
      'optimizer.minLearningRateRatio': num('optimizer.minLearningRateRatio', a.minLearningRateRatio, 0.1),
      'optimizer.clipNorm': num('optimizer.clipNorm', a.clipNorm, 1),
      vocabSize: int('vocabSize', o.vocabSize, 'BAD_SIZE', 2, 16, 65536),
      layers: int('layers', o.layers, 'BAD_SIZE', 1, 2, 4),
      dModel: int('dModel', o.dModel, 'BAD_SIZE', 2, 64, 256),
      heads: int('heads', o.heads, 'BAD_HEADS', 1, 4, 8),
      mlpHidden: int('mlpHidden', o.mlpHidden, 'BAD_SIZE', 0, 0, 1024),
      maxLen: int('maxLen', o.maxLen, 'BAD_SIZE', 1, 1024, 8192),
      tieEmbeddings: bool('tieEmbeddings', o.tieEmbeddings, true) ? 1 : 0,
      positional: choice('positional', o.positional, SCHEMES, 'rope'),
      ropeLayout: choice('rope.layout', r.layout, enums.layout, 'half'),
      ropeDims: r.dims == null ? NaN : size('rope.dims', r.dims),
      ropeMaxPositionEmbeddings: r.maxPositionEmbeddings == null ? NaN : size('rope.maxPositionEmbeddings', r.maxPositionEmbeddings),
      t5NumBuckets: size('t5.numBuckets', t.numBuckets, 32),
      t5MaxDistance: size('t5.maxDistance', t.maxDistance, 128),
      maxRandomPosition: size('maxRandomPosition', o.maxRandomPosition, 2048),
      randomizedBase: choice('randomizedBase', o.randomizedBase, SCHEMES, 'rope'),
      'optimizer.warmupSteps': int('optimizer.warmupSteps', a.warmupSteps, 'OUT_OF_RANGE', 0, 0),
      'optimizer.totalSteps': size('optimizer.totalSteps', a.totalSteps, 1000),
      seed: seed(o.seed),
    };
    if (f.dModel % f.heads !== 0) fail('SHAPE_MISMATCH', `dModel must be a multiple of heads = ${f.heads}, got ${f.dModel}`);
    return { f, scaling: r.scaling, evalScaling: r.evalScaling };
  }

  // A batch { tokens, targets, mask?, batch, seq } (what Task.sample returns); targets optional for attention.
  function batchArgs(b, needTargets = true) {
    const o = options(b, BATCH, 'a batch', 'batch');
    const batch = size('batch.batch', o.batch);
    const seq = size('batch.seq', o.seq);
    const tokens = vectorArg('batch.tokens', o.tokens, Int32Array);
    const targets = needTargets ? vectorArg('batch.targets', o.targets, Int32Array) : null;
    const mask = maskArg('batch.mask', o.mask);
    if (!tokens) fail('SHAPE_MISMATCH', 'batch.tokens must be an Int32Array of batch·seq token ids, got none');
    if (needTargets && !targets) fail('SHAPE_MISMATCH', 'batch.targets must be an Int32Array of batch·seq token ids, got none');
    for (const [name, arg] of [['tokens', tokens], ['targets', targets], ['mask', mask]]) {
      if (arg && arg.n !== batch * seq) fail('SHAPE_MISMATCH', `batch.${name} must have batch·seq = ${batch}·${seq} = ${batch * seq} entries, got ${arg.n}`);
    }
    return { tokens, targets, mask, batch, seq };
  }

  // k float64 results: a float32 output of 2k slots (frame memory is 8-byte aligned) read back as float64.
  const doublesOut = (k) => output('result', null, [2 * k], Float32Array, false);
  const doubles = (out) => new Float64Array(out.result.buffer);

  class TinyTransformer extends Module {
    constructor(opts) {
      const { f, scaling, evalScaling } = fieldsOf(opts);
      const block = valuesArg(Float64Array.from(FIELDS, (name) => f[name]));
      super('TinyTransformer', [block, scalingArg(scaling), scalingArg(evalScaling)]);
      this.options = Object.freeze({ ...f, positional: SCHEMES[f.positional], randomizedBase: SCHEMES[f.randomizedBase] });
      this.positional = SCHEMES[f.positional];
      this.heads = f.heads;
      this.layers = f.layers;
      this.vocabSize = f.vocabSize;
    }
    /** Parameters (floats). */
    get parameterCount() {
      return invoke(this.handle, 'parameterCount', []);
    }
    /** Optimizer steps taken. */
    get steps() {
      return invoke(this.handle, 'steps', []);
    }
    /** One step: forward, backward, clipping, AdamW → { loss (before the update), gradNorm (before clipping), learningRate }. */
    trainStep(batch) {
      const h = this.handle;
      const b = batchArgs(batch);
      const out = doublesOut(3);
      invoke(h, 'trainStep', [b.tokens, b.targets, b.mask, lenOf(b.mask), b.batch, b.seq, out]);
      const [loss, gradNorm, learningRate] = doubles(out);
      return { loss, gradNorm, learningRate };
    }
    /** Loss and accuracy over the masked positions (evaluation positions and scaling) → { loss, accuracy, perPosition [seq] }. */
    evaluate(batch) {
      const h = this.handle;
      const b = batchArgs(batch);
      const out = doublesOut(2 + b.seq);
      invoke(h, 'evaluate', [b.tokens, b.targets, b.mask, lenOf(b.mask), b.batch, b.seq, out]);
      const r = doubles(out);
      return { loss: r[0], accuracy: r[1], perPosition: r.slice(2) };
    }
    /** Attention probabilities of one layer: tokens (Int32Array, one sequence unless batch/seq say) → {data, shape [batch, heads, seq, seq]}. */
    attention(tokens, opts) {
      const o = options(opts, ATTENTION, 'TinyTransformer.attention');
      const h = this.handle;
      const layer = int('layer', o.layer, 'OUT_OF_RANGE', 0, 0, this.layers - 1);
      const t = vectorArg('tokens', tokens, Int32Array);
      if (!t) fail('SHAPE_MISMATCH', `tokens must be an Int32Array, got ${show(tokens)}`);
      const batch = size('batch', o.batch, 1);
      const seq = size('seq', o.seq, Math.max(1, t.n / batch));
      if (batch * seq !== t.n) fail('SHAPE_MISMATCH', `tokens must have batch·seq = ${batch * seq} entries, got ${t.n}`);
      const out = output('out', null, [batch, this.heads, seq, seq]);
      invoke(h, 'attention', [t, batch, seq, layer, out]);
      return out.result;
    }
    // [name, shape, offset] of every parameter tensor.
    #tensors() {
      const h = this.handle;
      const n = invoke(h, 'tensorCount', []);
      return Array.from({ length: n }, (_, i) => [invoke(h, 'tensorName', [i]), invoke(h, 'tensorShape', [i]).split(',').map(Number),
        invoke(h, 'tensorOffset', [i])]);
    }
    /**
     * { name: {data, shape} }: owned copies of every parameter. With { optimizer: true } also AdamW's state:
     * `optimizer.m`, `optimizer.v` (one moment per parameter, [parameterCount]) and `optimizer.steps` ([1]),
     * so that a second model given it continues this one's training to the same bits.
     */
    stateDict(opts) {
      const o = options(opts, STATE, 'stateDict');
      const withOptimizer = bool('optimizer', o.optimizer, false);
      const h = this.handle;
      const state = {};
      for (const [name, shape, offset] of this.#tensors()) {
        const n = shape.reduce((x, y) => x * y, 1);
        state[name] = { data: core.copyF32(invoke(h, 'parameters', []) + 4 * offset, n), shape };
      }
      if (withOptimizer) {
        const n = this.parameterCount;
        state[OPT_M] = { data: core.copyF32(invoke(h, 'firstMoment', []), n), shape: [n] };
        state[OPT_V] = { data: core.copyF32(invoke(h, 'secondMoment', []), n), shape: [n] };
        state[OPT_STEPS] = { data: Float32Array.of(this.steps), shape: [1] };
      }
      return state;
    }
    /**
     * Copies every parameter from `state` (a stateDict() of a model with the same options), and AdamW's state
     * when `state` has it (else the optimizer is left as it is); nothing changes on an error.
     */
    loadStateDict(state) {
      const h = this.handle;
      const tensors = this.#tensors();
      const known = new Set([...tensors.map(([name]) => name), ...OPTIMIZER_STATE]);
      for (const key of Object.keys(state ?? {})) {
        if (!known.has(key)) fail('SHAPE_MISMATCH', `state.${key} is not a parameter of this TinyTransformer`);
      }
      const entry = (name, shape) => {
        const t = core.tensorArg(`state.${name}`, stateEntry(state, name, 'TinyTransformer'), null);
        if (showShape(t.shape) !== showShape(shape)) fail('SHAPE_MISMATCH', `state.${name} must have shape ${showShape(shape)}, got ${showShape(t.shape)}`);
        const data = t.view();
        const bad = data.findIndex((v) => !Number.isFinite(v));
        if (bad >= 0) fail('NON_FINITE', `state.${name}[${bad}] must be finite, got ${data[bad]}`);
        return data;
      };
      const entries = tensors.map(([name, shape, offset]) => [offset, entry(name, shape)]);
      const given = OPTIMIZER_STATE.filter((key) => state[key] !== undefined);
      if (given.length && given.length < OPTIMIZER_STATE.length) {
        fail('SHAPE_MISMATCH', `state must have all of ${OPTIMIZER_STATE.join(', ')} or none, got only ${given.join(', ')}`);
      }
      if (given.length) {
        const n = this.parameterCount;
        const m = entry(OPT_M, [n]), v = entry(OPT_V, [n]), steps = entry(OPT_STEPS, [1])[0];
        if (!Number.isInteger(steps) || steps < 0) fail('OUT_OF_RANGE', `state.${OPT_STEPS} must be an integer at least 0, got ${steps}`);
        // C++ checks the moments (v ≥ 0) before it changes anything; the parameters are written after it.
        invoke(h, 'restoreOptimizer', [valuesArg(m), valuesArg(v), n, steps]);
      }
      const base = invoke(h, 'parameters', []) >> 2;
      for (const [offset, data] of entries) core.heapF32().set(data, base + offset);
      return this;
    }
  }

  return { TinyTransformer, positionalSchemes: Object.freeze([...SCHEMES]) };
}
