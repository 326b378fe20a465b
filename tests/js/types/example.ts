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

  try {
    pe.sinusoidalTable(4, 7);
  } catch (e) {
    if (e instanceof PosencError && e.code === 'ODD_DIM') console.log(e.message);
  }
  console.log(features, table, y, invFreq, attentionFactor, rq, slopes, bias, buckets, out, probs, dropped, same, values, q2, k2, b2);
}

void main();
