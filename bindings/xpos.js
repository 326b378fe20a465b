// xPos: RoPE plus a per-pair scale that decays with distance from a centre (queries ζ^s, keys ζ^−s).
import { choice, lastPosition, num, options, position } from './checks.js';

const APPLY = ['role', 'positions', 'offset', 'base', 'gamma', 'scaleBase', 'center', 'layout', 'out'];
const ROLES = ['q', 'k'];

/** @param {ReturnType<import('./core.js').createCore>} core */
export function createXpos(core) {
  const { M, enums, invoke, tensorArg, positionsArg, output, lenOf } = core;

  function xposApply(x, opts) {
    const o = options(opts, APPLY, 'xposApply');
    const base = num('base', o.base, 10000);
    const gamma = num('gamma', o.gamma, 0.4);
    const scaleBase = num('scaleBase', o.scaleBase, 512);
    const center = num('center', o.center, 0);
    const xa = tensorArg('x', x, ['batch', 'heads', 'seq', 'headDim']);
    const role = choice('role', o.role, ROLES, 'q');
    const layout = choice('layout', o.layout, enums.layout, 'interleaved');
    const pos = positionsArg(o.positions, xa.shape[0], xa.shape[2]);
    const offset = position('offset', o.offset, 0);
    if (!pos) lastPosition('offset', offset, xa.shape[2]);
    const out = output('out', o.out, xa.shape).inPlaceOf(xa);
    const [b, h, s, d] = xa.shape;
    invoke(M, 'xposApply', [xa, b, h, s, d, out, role === 1, pos, lenOf(pos), offset, base, gamma, scaleBase, center, layout]);
    return out.result;
  }

  return { xposApply };
}
