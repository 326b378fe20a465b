// LayerNorm over the last axis: its gradient, for training code that runs the learned embedding's optional
// LayerNorm (learnedForward with useLn) or its own.
import { fail, num, options, sameShape } from './checks.js';

const BACKWARD = ['gamma', 'eps'];

/** @param {ReturnType<import('./core.js').createCore>} core */
export function createLayerNorm(core) {
  const { M, invoke, tensorArg, vectorArg, output, lenOf } = core;

  /** dy, x: [..., d] → { dx, dGamma [d], dBeta [d] } of LayerNorm over the last axis. */
  function layerNormBackward(dy, x, opts) {
    const o = options(opts, BACKWARD, 'layerNormBackward');
    const eps = num('eps', o.eps, 1e-5);
    if (!(eps > 0)) fail('OUT_OF_RANGE', `eps must be > 0, got ${eps}`);
    const ga = tensorArg('dy', dy, null);
    const xa = tensorArg('x', x, null);
    sameShape('x.shape', xa.shape, ga.shape, ' (the shape of dy)');
    const d = ga.shape[ga.shape.length - 1];
    const gamma = vectorArg('gamma', o.gamma);
    if (gamma && gamma.n !== d) fail('SHAPE_MISMATCH', `gamma must have d = ${d} elements (x's last axis), got ${gamma.n}`);
    const dx = output('dx', null, ga.shape);
    const dGamma = output('dGamma', null, [d]);
    const dBeta = output('dBeta', null, [d]);
    invoke(M, 'layerNormBackward', [ga, xa, ga.n / d, d, gamma, lenOf(gamma), eps, dx, dGamma, dBeta]);
    return { dx: dx.result, dGamma: dGamma.result, dBeta: dBeta.result };
  }

  return { layerNormBackward };
}
