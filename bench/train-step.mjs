// W7: one training step (forward, backward, optimizer update) of a fixed tiny decoder-only transformer —
// 2 layers, d_model 128, 4 heads, seq 128, batch 16, vocabulary 64, learned absolute positions, tied
// embeddings — in posenc wasm-simd (TinyTransformer) and the same model built from @tensorflow/tfjs-core
// ops with its autograd (optimizer.minimize → tf.variableGrads) on the wasm and cpu backends. Ratios are
// between medians of this run; GFLOP/s count the matrix products (forward + backward = 3× forward) and
// the share is of the SIMD multiply-add peak measured in the same run (bench/ceiling.cpp).
//   node bench/train-step.mjs [--quick]      (--quick: tiny shapes, proves every implementation runs)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

import { register } from 'node:module';

import { load } from '../bindings/index.node.js';

// tfjs-core's bundles register no gradients (the tfjs union package imports register_all_gradients). That
// file is ESM with extensionless relative imports: a resolve hook adds '.js', and its registrations land in
// the gradient registry on globalThis that every copy of tfjs-core shares.
register('data:text/javascript,' + encodeURIComponent(`export async function resolve(s, c, next) {
  try { return await next(s, c); } catch (e) { if (/^[.][.]?[/]/.test(s) && !/[.]m?js$/.test(s)) return next(s + '.js', c); throw e; }
}`));
await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
import { loadCeilings } from './lib/ceilings.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const S = quick ? { layers: 1, d: 32, heads: 2, seq: 16, batch: 2, vocab: 64, samples: 2, warmup: 1 }
  : { layers: 2, d: 128, heads: 4, seq: 128, batch: 16, vocab: 64, samples: 7, warmup: 2 };

// Matrix-product flops of one step: the forward's products, three times (forward, and two per product backward).
function stepFlops({ layers, d, seq, batch, vocab }) {
  const n = batch * seq;
  const perLayer = 2 * n * d * 3 * d + 2 * n * d * d + 2 * (2 * n * d * 4 * d) + 2 * (2 * batch * seq * seq * d);
  return 3 * (layers * perLayer + 2 * n * d * vocab);
}

function batchOf(seed) {
  let s = seed;
  const next = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 8) % S.vocab;
  const tokens = Int32Array.from({ length: S.batch * S.seq }, next);
  const targets = Int32Array.from({ length: S.batch * S.seq }, next);
  return { tokens, targets, batch: S.batch, seq: S.seq };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
function time(step) {
  for (let i = 0; i < S.warmup; ++i) step(i);
  const ms = [];
  for (let i = 0; i < S.samples; ++i) {
    const t0 = performance.now();
    step(S.warmup + i);
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

function posencStep(pe) {
  const m = new pe.TinyTransformer({ vocabSize: S.vocab, layers: S.layers, dModel: S.d, heads: S.heads, maxLen: S.seq,
    positional: 'learned', seed: 1, optimizer: { learningRate: 1e-3, totalSteps: 1000 } });
  const batches = Array.from({ length: 4 }, (_, i) => batchOf(i + 1));
  const ms = time((i) => m.trainStep(batches[i % 4]));
  m.delete();
  return ms;
}

// The same model from tfjs-core ops: pre-LayerNorm blocks, causal softmax attention, tanh-GELU MLP, tied head.
async function tfjsStep(backend) {
  tf.env().set('IS_TEST', true);
  await tf.setBackend(backend);
  await tf.ready();
  const { layers, d, heads, seq, batch, vocab } = S, hd = d / heads, n = batch * seq;
  const v = (shape, std = 0.02) => tf.variable(tf.randomNormal(shape, 0, std, 'float32', 1));
  const ones = (k) => tf.variable(tf.ones([k])), zeros = (k) => tf.variable(tf.zeros([k]));
  const P = { wte: v([vocab, d]), wpe: v([seq, d]), lnf: [ones(d), zeros(d)], blocks: [] };
  for (let l = 0; l < layers; ++l) {
    P.blocks.push({ ln1: [ones(d), zeros(d)], wqkv: v([d, 3 * d]), bqkv: zeros(3 * d), wo: v([d, d]), bo: zeros(d),
      ln2: [ones(d), zeros(d)], w1: v([d, 4 * d]), b1: zeros(4 * d), w2: v([4 * d, d]), b2: zeros(d) });
  }
  const mask = tf.tidy(() => tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([seq, seq]), -1, 0)), -1e9));
  const ln = (x, [g, b]) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b);
  };
  const gelu = (x) => tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))));
  const heads4 = (t) => tf.transpose(tf.reshape(t, [batch, seq, heads, hd]), [0, 2, 1, 3]);
  const loss = (tokens, targets) => {
    // The embedding lookup as a one-hot product: gather's gradient (UnsortedSegmentSum) has no wasm kernel.
    let x = tf.add(tf.reshape(tf.matMul(tokens, P.wte), [batch, seq, d]), P.wpe);
    x = tf.reshape(x, [n, d]);
    for (const b of P.blocks) {
      const qkv = tf.add(tf.matMul(ln(x, b.ln1), b.wqkv), b.bqkv);
      const [q, k, vv] = tf.split(qkv, 3, 1).map(heads4);
      const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hd)), mask);
      const att = tf.reshape(tf.transpose(tf.matMul(tf.softmax(scores), vv), [0, 2, 1, 3]), [n, d]);
      x = tf.add(x, tf.add(tf.matMul(att, b.wo), b.bo));
      x = tf.add(x, tf.add(tf.matMul(gelu(tf.add(tf.matMul(ln(x, b.ln2), b.w1), b.b1)), b.w2), b.b2));
    }
    const logits = tf.matMul(ln(x, P.lnf), P.wte, false, true);
    const logProbs = tf.sub(logits, tf.logSumExp(logits, -1, true));
    return tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(targets, vocab), logProbs), -1)));
  };
  const opt = tf.train.adam(1e-3, 0.9, 0.95, 1e-8);
  const batches = Array.from({ length: 4 }, (_, i) => {
    const b = batchOf(i + 1);
    const tokens = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(b.tokens, 'int32'), vocab), 'float32'));
    return { tokens, targets: tf.tensor1d(b.targets, 'int32') };
  });
  const ms = time((i) => {
    const b = batches[i % 4];
    const cost = opt.minimize(() => loss(b.tokens, b.targets), true);
    cost.dataSync();
    cost.dispose();
  });
  tf.disposeVariables();
  for (const b of batches) tf.dispose([b.tokens, b.targets]);
  mask.dispose();
  opt.dispose();
  return ms;
}

const pe = await load({ simd: true });
const flops = stepFlops(S);
const rows = [{ name: 'posenc wasm-simd', ms: posencStep(pe) }];
for (const backend of ['wasm', 'cpu']) rows.push({ name: `tfjs-${backend} (tfjs-core ${tf.version_core}, autograd)`, ms: await tfjsStep(backend) });
const ceilingWasm = path.join(root, 'build/bench/ceiling.wasm');
const peak = existsSync(ceilingWasm) ? (await loadCeilings(ceilingWasm)).simdPeakGflops(quick ? 3 : 9).wall : NaN;
const shape = `${S.layers} layers, d ${S.d}, ${S.heads} heads, seq ${S.seq}, batch ${S.batch}, vocab ${S.vocab}`;
console.log(`W7 training step (${shape}); ${(flops / 1e9).toFixed(3)} GFLOP of matrix products per step; SIMD multiply-add peak ${peak.toFixed(1)} GFLOP/s`);
console.log('| implementation | ms/step | steps/s | GFLOP/s | share of SIMD peak | posenc speed-up |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) {
  const gflops = flops / (r.ms * 1e6);
  console.log(`| ${r.name} | ${r.ms.toFixed(1)} | ${(1000 / r.ms).toFixed(2)} | ${gflops.toFixed(2)} | ${Number.isFinite(peak) ? `${((100 * gflops) / peak).toFixed(1)}%` : 'n/a'} | ` +
    `${(r.ms / rows[0].ms).toFixed(2)}× |`);
}

// The step's matrix products timed alone in wasm-simd (bench/train_bench.cpp, built as build/bench/train_bench.cjs):
// the kernel's GFLOP/s against the same peak, without the step's other work in the denominator.
const trainBench = path.join(root, 'build/bench/train_bench.cjs');
if (existsSync(trainBench)) {
  const run = spawnSync(process.execPath, ['--no-wasm-dynamic-tiering', trainBench, quick ? '1' : '3'], { encoding: 'utf8' });
  const line = run.status === 0 ? run.stdout.trim().split('\n').pop() : '';
  if (line.startsWith('{')) {
    const r = JSON.parse(line);
    const share = Number.isFinite(peak) ? `${((100 * r.matmul_gflops) / peak).toFixed(1)}% of the SIMD multiply-add peak` : 'no peak measured';
    console.log(`matrix products alone (posenc wasm-simd, the step's ${r.step_matmul_gflop.toFixed(3)} GFLOP of products outside the model): ` +
      `${r.matmul_gflops.toFixed(2)} GFLOP/s, ${share}; they take ${(100 * r.matmul_share_of_step).toFixed(0)}% of its C++ step (${r.step_ms.toFixed(1)} ms)`);
  } else {
    console.log(`matrix products alone: ${trainBench} failed (${(run.stderr || '').trim().split('\n').pop()})`);
  }
} else {
  console.log('matrix products alone: not measured (build/bench/train_bench.cjs missing: scripts/build.sh wasm-simd)');
}
