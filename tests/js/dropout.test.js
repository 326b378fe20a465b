// Dropout: masks, p = 1, eval identity, seeded masks, its gradient, and their errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { GRADIENT_EXACT, GRADIENT_FD, assertClose, assertCode, describeBuilds, f32, gradientTensor, x3 } from './helpers.js';
import * as grad from './reference-gradients.js';
import * as ref from './reference.js';

describeBuilds('dropout', (pe) => {
  test('dropout: mask (any 0/1 typed array), p = 1, eval identity', () => {
    const x = ref.randomFloats(12, 31);
    const X = { data: x, shape: [3, 4] };
    const mask = Float64Array.from({ length: 12 }, (_, i) => i % 2);
    const y = pe.dropout(X, { p: 0.2, train: true, keepMask: mask });
    assert.deepEqual(y.shape, [3, 4]);
    assertClose(y.data, ref.dropout([...x], { p: 0.2, train: true, keepMask: mask }), 'mask');
    assert.ok(pe.dropout(X, { p: 1, train: true }).data.every((v) => v === 0));
    assert.deepEqual(Array.from(pe.dropout(X, { p: 0.5 }).data), Array.from(x));
    // Seeded masks are reproducible and keep about 1 − p.
    const big = { data: new Float32Array(10000).fill(1), shape: [10000] };
    const a = pe.dropout(big, { p: 0.3, train: true, seed: 7 }).data;
    assert.deepEqual(a, pe.dropout(big, { p: 0.3, train: true, seed: 7 }).data);
    const kept = a.filter((v) => v !== 0).length / 10000;
    assert.ok(kept > 0.65 && kept < 0.75, `kept ${kept}`);
  });

  test('errors raised in C++ name the camelCase option the caller passed, and its value', () => {
    assertCode(() => pe.dropout(x3(1, 1, 4), { train: true, p: 0.5, keepMask: new Uint8Array(5) }), 'SHAPE_MISMATCH', /^keepMask .*got 5/);
  });

  test('several faults: the order of error codes (NON_FINITE, sizes, …, SHAPE_MISMATCH, BAD_POSITION)', () => {
    assertCode(() => pe.dropout({ data: [1], shape: [1] }, { p: NaN }), 'NON_FINITE', /\bp\b/);
  });

  test('NON_FINITE: NaN, Infinity or a non-number where a float parameter goes', () => {
    assertCode(() => pe.dropout(x3(1, 1, 2), { p: NaN }), 'NON_FINITE', /p .*NaN/);
  });

  test('OUT_OF_RANGE: base, p, eps, scale, factors, betas, T5 limits, xPos exponent, unknown names', () => {
    assertCode(() => pe.dropout(x3(1, 1, 2), { p: 1.5, train: true }), 'OUT_OF_RANGE', /p\b.*1\.5/);
    assertCode(() => pe.dropout(x3(1, 1, 2), { p: 0.5, train: true, keepMask: [1, 2] }), 'OUT_OF_RANGE', /keepMask.*2/);
  });

  test('SHAPE_MISMATCH: wrong types, lengths, ranks and disagreeing shapes', () => {
    assertCode(() => pe.dropout(x3(1, 1, 2), { p: 0.5, train: true, keepMask: new Uint8Array(3) }), 'SHAPE_MISMATCH', /keep_mask|keepMask/);
  });
});

describeBuilds('dropout gradient', (pe) => {
  test('dropoutBackward: finite differences, and the identity in eval mode', () => {
    const x = gradientTensor([3, 5], 40), dy = gradientTensor([3, 5], 41);
    const keepMask = Uint8Array.from({ length: 15 }, (_, i) => i % 2);
    assertClose(pe.dropoutBackward(dy, { keepMask, p: 0.4 }).data,
      grad.finiteDifference((v) => ref.dropout(v, { p: 0.4, train: true, keepMask }), x.data, dy.data), 'dropout', GRADIENT_FD);
    assertClose(pe.dropoutBackward(dy, { keepMask, p: 0.4, train: false }).data, dy.data, 'dropout eval');
  });

  test('dropoutBackward errors: keepMask, p', () => {
    const dy = f32(new Float32Array(16), [1, 1, 4, 4]);
    assertCode(() => pe.dropoutBackward(dy, { keepMask: new Uint8Array(3), p: 0.5 }), 'SHAPE_MISMATCH', /keepMask/);
    assertCode(() => pe.dropoutBackward(dy, { p: 2 }), 'OUT_OF_RANGE', /p/);
  });
});
