// The experiment's runOne with and without its onTrained hook: the hook sees the trained model before it
// is deleted; a Run stepped in two pieces ends in runOne's bits, and one deleted half-way frees all it
// held; and the page's capture of attention maps returns one map per layer at L and at the longest
// short-enough test length, each row a distribution over earlier keys. The language model reads the job's text.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Run, runOne } from '../../experiments/grid.js';
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

  test('the language-model task reads the job\'s text: its characters are the vocabulary; empty text is the built-in paragraph', () => {
    const job = { ...JOB, task: 'text', testLengths: [4, 8], text: 'abab abba baba' };
    const seen = [];
    runOne(pe, job, () => {}, (model, task) => seen.push(task.vocabSize));
    const builtIn = [];
    runOne(pe, { ...job, text: '' }, () => {}, (model, task) => builtIn.push(task.vocabSize));
    assert.equal(seen[0], 3); // a, b and the space
    assert.ok(builtIn[0] > 20, `the built-in paragraph has many characters, got ${builtIn[0]}`);
    assert.throws(() => runOne(pe, { ...job, text: 'a' }), (e) => e.code === 'BAD_SIZE' && /text/.test(e.message));
  });

  test('a Run stepped in two halves, as the page does around a pause, gives runOne\'s bits', () => {
    const job = { ...JOB, steps: 8 };
    const whole = runOne(pe, job);
    const run = new Run(pe, job);
    try {
      const seen = [];
      while (run.next < 3) seen.push(run.step().loss);
      assert.equal(run.done, false);
      while (!run.done) seen.push(run.step().loss);
      assert.equal(run.next, 8);
      const r = run.evaluate();
      assert.deepEqual(seen, whole.losses);
      assert.deepEqual(r.losses, whole.losses);
      assert.deepEqual(r.gradNorm, whole.gradNorm);
      assert.deepEqual([r.accuracy, r.loss], [whole.accuracy, whole.loss]);
      assert.deepEqual([r.task, r.positional, r.seed], ['copy', 'alibi', 1]);
    } finally {
      run.delete();
    }
    assert.equal(runOne(pe, job, (i) => i < 3), null, 'onStep returning false stops runOne');
  });

  test('a Run deleted half-way (a paused grid that a new Start discards) frees its model and task', () => {
    const job = { ...JOB, steps: 8 };
    runOne(pe, job); // warms what the C++ side keeps
    const before = pe.memoryStats();
    const run = new Run(pe, job);
    for (let i = 0; i < 4; ++i) run.step();
    run.delete();
    run.delete(); // twice is harmless
    const after = pe.memoryStats();
    assert.ok(Math.abs(after.inUse - before.inUse) <= 64, `heap in use ${before.inUse} → ${after.inUse}`);
    assert.equal(after.handles, before.handles, 'Embind handles');
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
