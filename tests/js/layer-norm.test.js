// LayerNorm's gradient: layerNormBackward against finite differences of the float64 LayerNorm and the
// float64 analytic gradient, and its errors.
import { test } from 'node:test';

import { assertClose, assertCode, describeBuilds, f32, GRADIENT_EXACT, GRADIENT_FD, gradientTensor } from './helpers.js';
import * as grad from './reference-gradients.js';
import * as ref from './reference.js';

describeBuilds('layer norm gradient', (pe) => {
  test('layerNormBackward: finite differences and the analytic reference', () => {
    const x = gradientTensor([3, 5], 40), dy = gradientTensor([3, 5], 41), gamma = Float32Array.from(ref.randomFloats(5, 42), (v) => 1 + v);
    const got = pe.layerNormBackward(dy, x, { gamma, eps: 1e-3 });
    assertClose(got.dx.data, grad.finiteDifference((v) => {
      const out = [];
      for (let r = 0; r < 3; ++r) out.push(...ref.layerNorm(v.slice(r * 5, r * 5 + 5), gamma, null, 1e-3));
      return out;
    }, x.data, dy.data), 'dx', GRADIENT_FD);
    const e = grad.layerNormBackward(dy.data, x.data, 3, 5, gamma, 1e-3);
    assertClose(got.dGamma.data, e.dGamma, 'dGamma', GRADIENT_EXACT);
    assertClose(got.dBeta.data, e.dBeta, 'dBeta', GRADIENT_EXACT);
    const xb = gradientTensor([64, 96], 43), dyb = gradientTensor([64, 96], 44);
    assertClose(pe.layerNormBackward(dyb, xb).dx.data, grad.layerNormBackward(dyb.data, xb.data, 64, 96).dx, 'dx large', GRADIENT_EXACT);
  });

  test('layerNormBackward errors: gamma', () => {
    const dy = f32(new Float32Array(16), [1, 1, 4, 4]);
    assertCode(() => pe.layerNormBackward(dy, dy, { gamma: new Float32Array(3) }), 'SHAPE_MISMATCH', /gamma/);
  });
});
