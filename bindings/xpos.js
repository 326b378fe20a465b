// xPos: RoPE plus a per-pair scale that decays with distance from a centre (queries ζ^s, keys ζ^−s).
import { choice, lastPosition, num, options, position } from './checks.js';

const APPLY = ['role', 'positions', 'offset', 'base', 'gamma', 'scaleBase', 'center', 'layout', 'out'];
const BACKWARD = APPLY.filter((key) => key !== 'out');
const ROLES = ['q', 'k'];

/** @param {ReturnType<import('./core.js').createCore>} core */
export function createXpos(core) {
  const { M, enums, invoke, tensorArg, positionsArg, output, lenOf } = core;

  // xPos's arguments for the forward (x) and its gradient (dy), checked in the order of the error codes,
  // as the C++ side takes them after the tensor and its output.
  function xposArgs(name, x, o) {
    const base = num('base', o.base, 10000);
    const gamma = num('gamma', o.gamma, 0.4);
    const scaleBase = num('scaleBase', o.scaleBase, 512);
    const center = num('center', o.center, 0);
    const xa = tensorArg(name, x, ['batch', 'heads', 'seq', 'headDim']);
    const role = choice('role', o.role, ROLES, 'q');
    const layout = choice('layout', o.layout, enums.layout, 'interleaved');
    const pos = positionsArg(o.positions, xa.shape[0], xa.shape[2]);
    const offset = position('offset', o.offset, 0);
    if (!pos) lastPosition('offset', offset, xa.shape[2]);
    return { xa, rest: [role === 1, pos, lenOf(pos), offset, base, gamma, scaleBase, center, layout] };
  }

  function xposApply(x, opts) {
    const o = options(opts, APPLY, 'xposApply');
    const { xa, rest } = xposArgs('x', x, o);
    const out = output('out', o.out, xa.shape).inPlaceOf(xa);
    invoke(M, 'xposApply', [xa, ...xa.shape, out, ...rest]);
    return out.result;
  }

  /** dy: [batch, heads, seq, headDim] → dx (xposApply's per-pair scale times the transposed rotation). */
  function xposBackward(dy, opts) {
    const { xa: ga, rest } = xposArgs('dy', dy, options(opts, BACKWARD, 'xposBackward'));
    const dx = output('dx', null, ga.shape);
    invoke(M, 'xposBackward', [ga, ...ga.shape, dx, ...rest]);
    return dx.result;
  }

  return { xposApply, xposBackward };
}
