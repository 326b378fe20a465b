// xPos: xposApply against the float64 reference, xposBackward against finite differences and the analytic
// float64 gradient, and their errors.
import { test } from 'node:test';

import { GRADIENT_EXACT, GRADIENT_FD, assertClose, assertCode, describeBuilds, f32, gradientTensor, x4 } from './helpers.js';
import * as grad from './reference-gradients.js';
import * as ref from './reference.js';

describeBuilds('xpos', (pe) => {
  test('xposApply: queries and keys against the reference, centre and layout', () => {
    const shape = [1, 2, 6, 8];
    const x = ref.randomFloats(96, 13);
    for (const role of ['q', 'k']) {
      assertClose(pe.xposApply({ data: x, shape }, { role, offset: 100 }).data,
        ref.xposApply([...x], shape, { role, offset: 100 }), `${role}`, { abs: 1e-5, rel: 1e-5 });
      assertClose(pe.xposApply({ data: x, shape }, { role, center: 50, layout: 'half', positions: Int32Array.from([0, 3, 5, 8, 60, 61]) }).data,
        ref.xposApply([...x], shape, { role, center: 50, layout: 'half', positions: [0, 3, 5, 8, 60, 61] }), `${role} half centred`, { abs: 1e-5, rel: 1e-5 });
    }
  });

  test('errors raised in C++ name the camelCase option the caller passed, and its value', () => {
    assertCode(() => pe.xposApply(x4(1, 1, 1, 4), { offset: 400000 }), 'OUT_OF_RANGE', /scale_base/);
  });

  test('several faults: the order of error codes (NON_FINITE, sizes, …, SHAPE_MISMATCH, BAD_POSITION)', () => {
    assertCode(() => pe.xposApply(x4(1, 1, 1, 3), { gamma: NaN }), 'NON_FINITE', /gamma/);
  });

  test('NON_FINITE: NaN, Infinity or a non-number where a float parameter goes', () => {
    assertCode(() => pe.xposApply(x4(1, 1, 1, 4), { gamma: -Infinity }), 'NON_FINITE', /gamma/);
  });

  test('ODD_DIM: odd d, head_dim (no dRot) or dRot', () => {
    assertCode(() => pe.xposApply(x4(1, 1, 2, 5)), 'ODD_DIM', /5/);
  });

  test('OUT_OF_RANGE: base, p, eps, scale, factors, betas, T5 limits, xPos exponent, unknown names', () => {
    assertCode(() => pe.xposApply(x4(1, 1, 1, 4), { role: 'v' }), 'OUT_OF_RANGE', /role.*'v'/);
    assertCode(() => pe.xposApply(x4(1, 1, 1, 4), { offset: 400000 }), 'OUT_OF_RANGE', /700|exponent|scale/);
  });
});

describeBuilds('xpos gradient', (pe) => {
  test('xposBackward: finite differences for queries and keys, and the analytic reference', () => {
    const shape = [1, 2, 3, 4];
    const dy = gradientTensor(shape, 6), x = ref.randomFloats(24, 7);
    for (const opts of [{ role: 'q', offset: 10 }, { role: 'k', center: 2, layout: 'half' }]) {
      const fd = grad.finiteDifference((v) => ref.xposApply(v, shape, opts), x, dy.data);
      assertClose(pe.xposBackward(dy, opts).data, fd, `xpos ${opts.role}`, GRADIENT_FD);
    }
    const big = [2, 2, 64, 32], dyBig = gradientTensor(big, 8);
    assertClose(pe.xposBackward(dyBig, { role: 'k', offset: 7 }).data, grad.xposBackward(dyBig.data, big, { role: 'k', offset: 7 }), 'xpos large', GRADIENT_EXACT);
  });

  test('xposBackward errors: role', () => {
    const dy = f32(new Float32Array(16), [1, 1, 4, 4]);
    assertCode(() => pe.xposBackward(dy, { role: 'v' }), 'OUT_OF_RANGE', /role/);
  });
});
