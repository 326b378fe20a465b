// TinyTransformer and the seeded tasks: same seed → same loss bits, learning on the copy task, state
// round trips (with the optimizer's state: training continued in a second model to the same bits), no heap
// left behind, and coded errors for bad options and batches.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { assertCode, describeBuilds, dispose } from './helpers.js';

const SMALL = { dModel: 32, heads: 2, layers: 1, maxLen: 64 };

describeBuilds('TinyTransformer', (pe) => {
  test('tasks: seeded, the documented lengths and vocabularies', () => {
    const copy = pe.makeTask({ kind: 'copy', symbols: 6 });
    assert.equal(copy.sequenceLength(5), 10);
    const a = copy.sample(3, 5, 7), b = copy.sample(3, 5, 7), c = copy.sample(3, 5, 8);
    assert.deepEqual([a.batch, a.seq, a.tokens.length, a.mask.length], [3, 10, 30, 30]);
    assert.deepEqual(a.tokens, b.tokens);
    assert.notDeepEqual(a.tokens, c.tokens);
    assert.ok(a.tokens.every((t) => t >= 0 && t < copy.vocabSize));
    const text = pe.makeTask({ kind: 'text', text: 'abcabcabd' });
    assert.equal(text.alphabet.length, text.vocabSize);
    assert.equal(text.maxLength, 8);
    assert.equal(pe.makeTask({ kind: 'recall', symbols: 4 }).sequenceLength(3), 8);
    for (const t of [copy, text]) t.delete();
  });

  test('determinism: the same seed gives the same loss and gradient-norm bits over 20 steps, for every scheme', () => {
    const task = pe.makeTask({ kind: 'copy', symbols: 6 });
    for (const positional of pe.positionalSchemes) {
      const run = () => {
        const m = new pe.TinyTransformer({ ...SMALL, vocabSize: task.vocabSize, positional, seed: 3 });
        const bits = [];
        for (let i = 0; i < 20; ++i) {
          const r = m.trainStep(task.sample(4, 6, i));
          bits.push(r.loss, r.gradNorm);
        }
        m.delete();
        return Float64Array.from(bits);
      };
      assert.deepEqual(run(), run(), positional);
    }
    task.delete();
  });

  test('learning: the loss falls on the copy task and accuracy at the training length rises', () => {
    const task = pe.makeTask({ kind: 'copy', symbols: 4 });
    const m = new pe.TinyTransformer({ dModel: 32, heads: 2, layers: 2, vocabSize: task.vocabSize, positional: 'alibi', seed: 1,
      optimizer: { learningRate: 3e-3, totalSteps: 150, warmupSteps: 10 } });
    const first = m.evaluate(task.sample(16, 6, 999));
    const losses = [];
    for (let i = 0; i < 150; ++i) losses.push(m.trainStep(task.sample(16, 6, i)).loss);
    const last = m.evaluate(task.sample(16, 6, 999));
    const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(mean(losses.slice(-10)) < 0.8 * mean(losses.slice(0, 10)), `loss ${mean(losses.slice(0, 10))} → ${mean(losses.slice(-10))}`);
    assert.ok(last.loss < first.loss && last.accuracy > first.accuracy, `accuracy ${first.accuracy} → ${last.accuracy}`);
    assert.equal(last.perPosition.length, 12);
    assert.equal(m.steps, 150);
    m.delete();
    task.delete();
  });

  test('stateDict round trip: a second model given the first one\'s state evaluates to the same bits; attention maps', () => {
    const task = pe.makeTask({ kind: 'reverse', symbols: 5 });
    const opts = { ...SMALL, vocabSize: task.vocabSize, positional: 't5', seed: 5, tieEmbeddings: false };
    const a = new pe.TinyTransformer(opts);
    for (let i = 0; i < 5; ++i) a.trainStep(task.sample(4, 5, i));
    const b = new pe.TinyTransformer({ ...opts, seed: 6 });
    const batch = task.sample(4, 10, 42);
    assert.notEqual(a.evaluate(batch).loss, b.evaluate(batch).loss);
    b.loadStateDict(a.stateDict());
    assert.equal(a.evaluate(batch).loss, b.evaluate(batch).loss);
    assert.deepEqual(b.stateDict().lm_head?.shape ?? b.stateDict().lm_head, a.stateDict().lm_head?.shape ?? a.stateDict().lm_head);
    const maps = a.attention(batch.tokens.subarray(0, batch.seq));
    assert.deepEqual(maps.shape, [1, 2, 20, 20]);
    for (let r = 0; r < 20; ++r) {
      const row = maps.data.subarray(r * 20, r * 20 + 20);
      assert.ok(Math.abs(row.reduce((x, y) => x + y, 0) - 1) < 1e-4 && row.subarray(r + 1).every((p) => p === 0), `causal row ${r}`);
    }
    const state = a.stateDict();
    assertCode(() => b.loadStateDict({ ...state, extra: state.token_embedding }), 'SHAPE_MISMATCH', /extra/);
    const { token_embedding: _, ...missing } = state;
    assertCode(() => b.loadStateDict(missing), 'SHAPE_MISMATCH', /token_embedding/);
    a.delete();
    b.delete();
    task.delete();
  });

  test('stateDict with the optimizer: a second model continues the first one\'s training to the same bits', () => {
    const task = pe.makeTask({ kind: 'copy', symbols: 5 });
    const batches = Array.from({ length: 6 }, (_, i) => task.sample(4, 5, 100 + i));
    for (const positional of ['rope', 'randomized']) {
      const opts = { ...SMALL, vocabSize: task.vocabSize, positional, seed: 3, optimizer: { warmupSteps: 2, totalSteps: 6 } };
      const whole = new pe.TinyTransformer(opts);
      const expected = batches.map((b) => whole.trainStep(b));
      const first = new pe.TinyTransformer(opts);
      batches.slice(0, 3).forEach((b) => first.trainStep(b));
      assert.equal(Object.keys(first.stateDict()).some((k) => k.startsWith('optimizer.')), false, 'parameters only by default');
      const state = first.stateDict({ optimizer: true });
      assert.deepEqual([state['optimizer.m'].shape, state['optimizer.v'].shape, Array.from(state['optimizer.steps'].data)],
        [[first.parameterCount], [first.parameterCount], [3]]);
      const second = new pe.TinyTransformer(opts);
      second.loadStateDict(state);
      assert.equal(second.steps, 3);
      const continued = batches.slice(3).map((b) => second.trainStep(b));
      assert.deepEqual(continued, expected.slice(3), `${positional}: steps 4–6 in the second model`);
      assert.deepEqual(second.stateDict({ optimizer: true }), whole.stateDict({ optimizer: true }));
      const fresh = new pe.TinyTransformer(opts);
      fresh.loadStateDict(first.stateDict());
      assert.notDeepEqual(fresh.trainStep(batches[3]), expected[3], 'without the moments and step count the next step differs');
      for (const m of [whole, first, second, fresh]) m.delete();
    }
    const m = new pe.TinyTransformer({ ...SMALL, vocabSize: task.vocabSize, positional: 'alibi' });
    m.trainStep(batches[0]);
    const state = m.stateDict({ optimizer: true });
    const before = m.stateDict({ optimizer: true });
    const replaced = (key, data) => ({ ...state, [key]: { data, shape: state[key].shape } });
    const v = Float32Array.from(state['optimizer.v'].data);
    v[7] = -1;
    assertCode(() => m.loadStateDict(replaced('optimizer.v', v)), 'OUT_OF_RANGE', /second_moment\[7\].*at least 0/);
    assertCode(() => m.loadStateDict(replaced('optimizer.steps', Float32Array.of(-1))), 'OUT_OF_RANGE', /optimizer\.steps/);
    assertCode(() => m.loadStateDict(replaced('optimizer.steps', Float32Array.of(1.5))), 'OUT_OF_RANGE', /optimizer\.steps/);
    const { 'optimizer.m': _, ...partial } = state;
    assertCode(() => m.loadStateDict(partial), 'SHAPE_MISMATCH', /optimizer\.m/);
    assertCode(() => m.loadStateDict({ ...state, 'optimizer.m': { data: new Float32Array(3), shape: [3] } }), 'SHAPE_MISMATCH', /optimizer\.m/);
    assertCode(() => m.stateDict({ moments: true }), 'OUT_OF_RANGE', /moments/);
    assert.deepEqual(m.stateDict({ optimizer: true }), before, 'nothing changed on an error');
    m.delete();
    task.delete();
  });

  test('memory: creating, training and deleting leaves the heap as it was', () => {
    const task = pe.makeTask({ kind: 'copy', symbols: 4 });
    const cycle = () => {
      const m = new pe.TinyTransformer({ ...SMALL, vocabSize: task.vocabSize, positional: 'rope' });
      m.trainStep(task.sample(2, 4, 1));
      m.evaluate(task.sample(2, 8, 1));
      m.stateDict();
      m[dispose]();
      assert.ok(m.deleted);
      assertCode(() => m.trainStep(task.sample(2, 4, 1)), 'DELETED');
    };
    cycle();
    const before = pe.memoryStats().inUse;
    for (let i = 0; i < 5; ++i) cycle();
    assert.equal(pe.memoryStats().inUse, before);
    task.delete();
  });

  test('errors: options and batches', () => {
    assertCode(() => new pe.TinyTransformer({ positonal: 'rope' }), 'OUT_OF_RANGE', /positonal.*positional/);
    assertCode(() => new pe.TinyTransformer({ positional: 'nope' }), 'OUT_OF_RANGE', /positional/);
    assertCode(() => new pe.TinyTransformer({ layers: 5 }), 'BAD_SIZE', /layers/);
    assertCode(() => new pe.TinyTransformer({ heads: 3, dModel: 64 }), 'SHAPE_MISMATCH', /multiple of heads/);
    assertCode(() => new pe.TinyTransformer({ heads: 9 }), 'BAD_HEADS', /heads/);
    assertCode(() => new pe.TinyTransformer({ optimizer: { learningRate: NaN } }), 'NON_FINITE', /learningRate/);
    assertCode(() => new pe.TinyTransformer({ optimizer: { lr: 1 } }), 'OUT_OF_RANGE', /lr/);
    assertCode(() => new pe.TinyTransformer({ rope: { scaling: { rope_type: 'linear', factor: -1 } } }), 'OUT_OF_RANGE');
    assertCode(() => pe.makeTask({ kind: 'sort' }), 'OUT_OF_RANGE', /kind/);
    assertCode(() => pe.makeTask({ kind: 'copy', text: 'x' }), 'OUT_OF_RANGE', /text/);
    const m = new pe.TinyTransformer({ ...SMALL, vocabSize: 4 });
    const tokens = new Int32Array(6), targets = new Int32Array(6);
    assertCode(() => m.trainStep({ tokens, targets, batch: 2, seq: 2 }), 'SHAPE_MISMATCH', /tokens/);
    assertCode(() => m.trainStep({ tokens: [0, 1], targets, batch: 1, seq: 2 }), 'SHAPE_MISMATCH', /tokens/);
    assertCode(() => m.trainStep({ tokens, targets: Int32Array.of(0, 0, 0, 0, 0, 9), batch: 2, seq: 3 }), 'OUT_OF_RANGE');
    assertCode(() => m.evaluate({ tokens, targets, batch: 1, seq: 6, extra: 1 }), 'OUT_OF_RANGE', /extra/);
    assertCode(() => m.attention(tokens, { layer: 1 }), 'OUT_OF_RANGE', /layer/);
    m.delete();
  });
});
