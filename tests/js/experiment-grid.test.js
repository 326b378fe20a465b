// The experiment's runOne with and without its onTrained hook: the hook sees the trained model before it
// is deleted, and the page's capture of attention maps returns one map per layer at L and at the longest
// short-enough test length, each row a distribution over earlier keys.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { runOne } from '../../experiments/grid.js';
import { buffersOf, captureAttention } from '../../web/attention-capture.js';
import { describeBuilds } from './helpers.js';

const JOB = { task: 'copy', positional: 'alibi', seed: 1, trainLength: 4, testLengths: [4, 8, 16], steps: 3, batch: 2, evalBatch: 4,
  model: { layers: 2, dModel: 16, heads: 2 }, learningRate: 3e-3, symbols: 5 };

describeBuilds('experiment grid', (pe) => {
  test('without the hook a result has no trained field; with it, the hook sees the model and its return is kept', () => {
    assert.equal(runOne(pe, JOB).trained, undefined);
    const seen = [];
    const r = runOne(pe, JOB, () => {}, (model, task) => { seen.push(model.positional, task.kind); return 'kept'; });
    assert.deepEqual(seen, ['alibi', 'copy']);
    assert.equal(r.trained, 'kept');
  });

  test('captureAttention: every layer at L and at the longest test length, causal rows summing to 1', () => {
    const maps = runOne(pe, JOB, () => {}, (model, task) => captureAttention(model, task, JOB)).trained;
    assert.deepEqual([maps.heads, maps.trainLength, maps.trainSeq, maps.kind, maps.vocabSize], [2, 4, 8, 'copy', 6]);
    assert.deepEqual(maps.views.map((v) => [v.length, v.seq, v.tokens.length, v.layers.length]), [[4, 8, 8, 2], [16, 32, 32, 2]]);
    for (const v of maps.views) {
      assert.equal(v.tokens[v.length], 5, 'the separator follows the symbols');
      for (const probs of v.layers) {
        assert.equal(probs.length, 2 * v.seq * v.seq);
        for (let r = 0; r < 2 * v.seq; r++) {
          const row = probs.subarray(r * v.seq, (r + 1) * v.seq), q = r % v.seq;
          assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-4);
          assert.ok(row.subarray(q + 1).every((p) => p === 0), 'no weight on later keys');
        }
      }
    }
    const buffers = buffersOf(maps);
    assert.equal(buffers.length, 2 * 3);
    assert.equal(new Set(buffers).size, buffers.length, 'each map has its own buffer, so each can be transferred');
  });
});
