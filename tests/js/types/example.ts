// Compiled with tsc --strict against bindings/index.d.ts (tests/js/types.test.js): the documented usage
// must type-check exactly as written in README.md (JavaScript section).
import { load, PosencError, simdSupported, type Posenc, type Tensor, type HeapTensor, type RopeScaling } from 'posenc';

async function main(): Promise<void> {
  const pe: Posenc = await load({ simd: simdSupported() ? 'auto' : false });
  const features: { simd: boolean; version: string; arch: string } = pe.features;

  const table: Tensor = pe.sinusoidalTable(128, 64, { base: 10000, start: 0, count: 16 });
  const x: Tensor = { data: new Float32Array(2 * 8 * 64), shape: [2, 8, 64] };
  const y: Tensor = pe.sinusoidalForward(x, { offset: 3, p: 0.1, train: false });
  pe.learnedForward(x, { data: new Float32Array(16 * 64), shape: [16, 64] }, { positions: Int32Array.of(0, 1, 2, 3, 4, 5, 6, 7) });
  pe.clippedRelativeBias({ data: new Float32Array(9 * 4), shape: [9, 4] }, { qLen: 8, kLen: 8 });

  const scaling: RopeScaling = { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 };
  const { invFreq, attentionFactor }: { invFreq: Float32Array; attentionFactor: number } = pe.ropeParams(128, { base: 500000, scaling });
  const q: Tensor = { data: new Float32Array(1 * 4 * 8 * 128), shape: [1, 4, 8, 128] };
  const rq: Tensor = pe.ropeForward(q, { layout: 'interleaved', offset: 100, scaling, base: 500000, maxPositionEmbeddings: 131072 });
  pe.xposApply(q, { role: 'k', center: 4 });

  const slopes: Float32Array = pe.alibiSlopes(12);
  const bias: Tensor = pe.alibiBias(12, 8, 8, { mode: 'symmetric' });
  const buckets: Int32Array = pe.t5Buckets(Int32Array.of(-3, 0, 3), { bidirectional: false });
  pe.t5Bias({ data: new Float32Array(32 * 4), shape: [32, 4] }, { qLen: 8, kLen: 8 });
  const { out, probs } = pe.sdpa(q, q, q, { alibi: 'causal', causal: true, returnProbs: true });
  const kv: Tensor = { data: new Float32Array(1 * 2 * 8 * 128), shape: [1, 2, 8, 128] };
  pe.sdpa(q, kv, kv, { window: 4096, sinks: new Float32Array(4), softcap: 50, keyPadding: new Uint8Array(8).fill(1),
    mask: { data: new Uint8Array(64).fill(1), shape: [8, 8] }, chunkSize: 8192, queryTemperature: { floorScale: 8192, attnScale: 0.1 } });
  const cache = new pe.KVCache({ kvHeads: 2, headDim: 128 });
  cache.append(kv, kv);
  const decoded: Tensor = pe.sdpa(q, cache, cache, { causal: true }).out;
  const cached: number = cache.length + cache.capacity;
  cache.delete();
  const dropped: Tensor = pe.dropout(x, { p: 0.5, train: true, keepMask: new Uint8Array(x.data.length).fill(1) });

  // Zero-copy: allocate once, run in place, read back once.
  const t: HeapTensor = pe.tensor(q.data, q.shape);
  const same: HeapTensor = pe.ropeForward(t, { out: t, offset: 5 });
  const values: Float32Array = t.read();
  t.delete();

  const rope = new pe.RotaryPositionalEmbedding({ dim: 128, maxLen: 2048, layout: 'half', scaling });
  const [q2, k2]: [Tensor, Tensor] = rope.forward(q, q, { offset: 0 });
  rope.eval().delete();
  const alibi = new pe.ALiBiPositionalEncoding({ numHeads: 12 });
  const b2: Tensor = alibi.bias(8, 16);
  alibi[Symbol.dispose]();
  const sin = new pe.SinusoidalPositionalEncoding({ dim: 64, maxLen: 512, dropout: 0.1 });
  sin.loadStateDict(sin.stateDict());
  sin.delete();
  const learned = new pe.LearnedPositionalEmbedding({ dim: 64, maxLen: 512, layerNorm: true });
  const state = learned.stateDict();
  learned.loadStateDict(state);
  learned.delete();

  const config: Record<string, unknown> = { model_type: 'llama', hidden_size: 64, num_attention_heads: 2, num_hidden_layers: 2, rope_theta: 10000 };
  const described = pe.ropeFromConfig(config, { seqLen: 100 });
  const fromConfig = pe.ropeForward({ data: new Float32Array(32), shape: [1, 1, 1, 32] }, { config, offset: 3 });
  const fromRope = pe.ropeForward({ data: new Float32Array(32), shape: [1, 1, 1, 32] }, { rope: described, base: 500 });
  const layers = pe.describeLayers(config).map((e) => `${e.layer} ${e.position} ${e.attention ?? '?'} ${e.rope?.invFreq.length}`);
  const ids = pe.mropePositions([{ type: 'text', length: 2 }, { type: 'image', grid: [1, 2, 2] }], { spatialMergeSize: 2 });
  const rotary = new pe.RotaryPositionalEmbedding({ config, layerType: 'full_attention' });
  rotary.delete();
  console.log(described.dRot, described.mropeSection?.[0], fromConfig.data, fromRope.shape, layers, ids.next, ids.data);

  const task = pe.makeTask({ kind: 'copy', symbols: 8 });
  const model = new pe.TinyTransformer({ vocabSize: task.vocabSize, positional: 'alibi', optimizer: { learningRate: 3e-3 }, seed: 1 });
  const step = model.trainStep(task.sample(8, 16, 0));
  const evaluated = model.evaluate(task.sample(8, 64, 1));
  const maps = model.attention(task.sample(1, 16, 2).tokens, { layer: 1 });
  model.loadStateDict(model.stateDict());
  const dq = pe.sdpaBackward(q, q, q, q, { causal: true }).dq;
  const ln = pe.layerNormBackward(q, q).dGamma;
  console.log(step.loss, step.gradNorm, evaluated.perPosition[0], maps.shape, dq.shape, ln.data, pe.positionalSchemes.length);
  model.delete();
  task.delete();

  try {
    pe.sinusoidalTable(4, 7);
  } catch (e) {
    if (e instanceof PosencError && e.code === 'ODD_DIM') console.log(e.message);
  }
  console.log(features, table, y, invFreq, attentionFactor, rq, slopes, bias, buckets, out, probs, dropped, same, values, q2, k2, b2);
}

void main();
