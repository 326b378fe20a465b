// TensorFlow.js peers (@tensorflow/tfjs-core with the wasm and cpu backends) in their best formulation:
// inputs and constant tables resident in the backend before timing (upload and download excluded),
// cached cos/sin tables for RoPE, and attention as per-head 2-D matMuls (tfjs has no fused attention).
// tfjs computes in float32, so its angles are float32 products (see docs/pitfalls.md, float32 angles).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

let quiet = false;
async function use(backend) {
  if (!quiet) {
    tf.env().set('IS_TEST', true);  // silences the "install tfjs-node" banner
    quiet = true;
  }
  if (tf.getBackend() !== backend) await tf.setBackend(backend);
  await tf.ready();
}

function invFreq(dim) {
  return tf.tensor1d(Float32Array.from({ length: dim / 2 }, (_, i) => 10000 ** (-2 * i / dim)));
}

// A runner whose run() leaves its result tensors in `last` (disposed by the next run or by free()).
function runner(backend, compute, keep) {
  let last = [];
  return {
    prepare: () => use(backend),
    run() {
      for (const t of last) t.dispose();
      last = tf.tidy(() => [compute()].flat());
      return last;
    },
    async output() {
      return Promise.all(last.map((t) => t.data()));
    },
    free() {
      for (const t of [...last, ...keep]) t.dispose();
      last = [];
    },
  };
}

export async function create(backend) {
  await use(backend);
  const api = {
    name: `tfjs-${backend}`,
    version: tf.version_core,

    async table({ start, count, d }) {
      await use(backend);
      const pos = tf.reshape(tf.range(start, start + count, 1, 'float32'), [count, 1]);
      const freq = tf.reshape(invFreq(d), [1, d / 2]);
      return runner(backend, () => {
        const a = tf.mul(pos, freq);
        return tf.reshape(tf.stack([tf.sin(a), tf.cos(a)], 2), [count, d]);
      }, [pos, freq]);
    },

    // Measured fastest here: cos/sin pre-broadcast to the full shape (tfjs's broadcasting binary ops
    // are slow), split halves for `half`, a pair swap by reverse for `interleaved`.
    async rope({ heads, seq, dim, layout, offset, q, k }) {
      await use(backend);
      const half = dim / 2;
      const a = tf.mul(tf.reshape(tf.range(offset, offset + seq, 1, 'float32'), [seq, 1]), tf.reshape(invFreq(dim), [1, half]));
      const full = (t, width) => tf.tile(tf.reshape(t, [1, 1, seq, width]), [1, heads, 1, 1]);
      const [cos, sin] = tf.tidy(() => (layout === 'half'
        ? [full(tf.cos(a), half), full(tf.sin(a), half)]
        : [full(tf.stack([tf.cos(a), tf.cos(a)], 2), dim), full(tf.stack([tf.neg(tf.sin(a)), tf.sin(a)], 2), dim)]));
      const xs = [tf.tensor4d(q, [1, heads, seq, dim]), tf.tensor4d(k, [1, heads, seq, dim])];
      const rotate = layout === 'half'
        ? (x) => {
            const [u, w] = tf.split(x, 2, 3);
            return tf.concat([tf.sub(tf.mul(u, cos), tf.mul(w, sin)), tf.add(tf.mul(w, cos), tf.mul(u, sin))], 3);
          }
        : (x) => {
            const swapped = tf.reshape(tf.reverse(tf.reshape(x, [heads * seq * half, 2]), 1), x.shape);
            return tf.add(tf.mul(x, cos), tf.mul(swapped, sin));
          };
      return runner(backend, () => xs.map(rotate), [a, cos, sin, ...xs]);
    },

    // The decoding step's RoPE: a cos/sin cache of maxLen rows computed by tfjs once, kept as arrays;
    // each step uploads its one row (tf.slice of the cached tensor costs O(rows) per step in tfjs-wasm).
    async decodeRope({ heads, dim, maxLen, position, q, k }) {
      await use(backend);
      const half = dim / 2, rows = Math.max(maxLen, position + 1);
      const [cosAll, sinAll] = tf.tidy(() => {
        const a = tf.mul(tf.reshape(tf.range(0, rows, 1, 'float32'), [rows, 1]), tf.reshape(invFreq(dim), [1, half]));
        return [tf.cos(a), tf.sin(a)];
      });
      const cache = [cosAll.dataSync(), sinAll.dataSync()];
      cosAll.dispose();
      sinAll.dispose();
      const xs = [tf.tensor2d(q, [heads, dim]), tf.tensor2d(k, [heads, dim])];
      return runner(backend, () => {
        const [c, s] = cache.map((t) => tf.tensor2d(t.subarray(position * half, (position + 1) * half), [1, half]));
        return xs.map((x) => {
          const [u, w] = tf.split(x, 2, 1);
          return tf.concat([tf.sub(tf.mul(u, c), tf.mul(w, s)), tf.add(tf.mul(w, c), tf.mul(u, s))], 1);
        });
      }, xs);
    },

    // Causal ALiBi attention; the bias plus mask is a resident constant per head (tfjs's best case);
    // per-head 2-D matMuls (batched 3-D matMul measured ~40x slower in tfjs-wasm 4.22).
    async sdpa({ heads, qLen, kLen, dim, q, k, v }) {
      await use(backend);
      const qOffset = kLen - qLen, scale = 1 / Math.sqrt(dim);
      const perHead = (x, rows, h) => tf.tensor2d(x.subarray(h * rows * dim, (h + 1) * rows * dim), [rows, dim]);
      const qs = [], ks = [], vs = [], bias = [];
      for (let h = 0; h < heads; h++) {
        qs.push(tf.mul(perHead(q, qLen, h), scale));
        ks.push(perHead(k, kLen, h));
        vs.push(perHead(v, kLen, h));
        const slope = 2 ** (-8 * (h + 1) / heads), b = new Float32Array(qLen * kLen);
        for (let i = 0; i < qLen; i++) {
          for (let j = 0; j < kLen; j++) b[i * kLen + j] = j > qOffset + i ? -Infinity : -slope * (qOffset + i - j);
        }
        bias.push(tf.tensor2d(b, [qLen, kLen]));
      }
      return runner(backend, () => {
        const outs = [];
        for (let h = 0; h < heads; h++) {
          // an explicit transpose: tfjs-wasm's matMul with transposeB is ~8x slower here
          const p = tf.softmax(tf.add(tf.matMul(qs[h], tf.transpose(ks[h])), bias[h]));
          outs.push(tf.matMul(p, vs[h]));
        }
        return tf.concat(outs, 0);
      }, [...qs, ...ks, ...vs, ...bias]);
    },
  };
  // GQA prefill (W5), wasm only (the cpu backend needs minutes per call at 2048 tokens): per-head 2-D
  // matMuls against each kv head's K, transposed once outside the timing, and V, both resident and shared
  // by the heads of the group (tfjs has no grouped matMul); the causal mask one resident constant; each
  // head's scores freed before the next (all 32 at once overflow wasm memory).
  if (backend === 'wasm') {
    api.sdpaGqa = async ({ heads, kvHeads, len, dim, q, k, v }) => {
      await use(backend);
      const scale = 1 / Math.sqrt(dim), group = heads / kvHeads;
      const slice = (x, h) => tf.tensor2d(x.subarray(h * len * dim, (h + 1) * len * dim), [len, dim]);
      const qs = [], kts = [], vs = [];
      for (let h = 0; h < heads; h++) qs.push(tf.tidy(() => tf.mul(slice(q, h), scale)));
      for (let g = 0; g < kvHeads; g++) {
        kts.push(tf.tidy(() => tf.transpose(slice(k, g))));
        vs.push(slice(v, g));
      }
      const m = new Float32Array(len * len);
      for (let i = 0; i < len; i++) m.fill(-Infinity, i * len + i + 1, (i + 1) * len);
      const mask = tf.tensor2d(m, [len, len]);
      return runner(backend, () => {
        const outs = [];
        for (let h = 0; h < heads; h++) {
          const g = Math.floor(h / group);
          outs.push(tf.tidy(() => tf.matMul(tf.softmax(tf.add(tf.matMul(qs[h], kts[g]), mask)), vs[g])));
        }
        return tf.concat(outs, 0);
      }, [...qs, ...kts, ...vs, mask]);
    };
  }
  return api;
}
