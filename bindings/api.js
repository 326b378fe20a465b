// The JavaScript API over one instantiated WebAssembly module: the core (heap tensors, arguments,
// invoke) and one file per encoding, assembled into the object load() resolves to.
import { PosencError } from './checks.js';
import { createAlibi } from './alibi.js';
import { createAttention } from './attention.js';
import { createCore } from './core.js';
import { createDropout } from './dropout.js';
import { createLayerNorm } from './layer-norm.js';
import { createLearned } from './learned.js';
import { createModuleBase } from './module.js';
import { mropeFrequencyAxes, mropePositions } from './mrope.js';
import { createRelative } from './relative.js';
import { createRope } from './rope.js';
import { createSinusoidal } from './sinusoidal.js';
import { createTasks } from './tasks.js';
import { createTinyTransformer } from './tiny-transformer.js';
import { createVisionRope } from './vision-rope.js';
import { createXpos } from './xpos.js';

/**
 * Wraps an instantiated Emscripten module (dist/posenc_simd.js or posenc_scalar.js) as the public API.
 * @param {object} M the module object from the Emscripten factory
 */
export function createApi(M) {
  const core = createCore(M);
  const modules = createModuleBase(core);
  return {
    features: Object.freeze({ simd: M.simdBuild(), version: M.version(), arch: M.arch() }),
    ...createSinusoidal(core, modules),
    ...createLearned(core, modules),
    ...createRope(core, modules),
    ...createXpos(core),
    ...createAlibi(core, modules),
    ...createRelative(core),
    ...createAttention(core),
    ...createDropout(core),
    ...createLayerNorm(core),
    ...createTasks(core, modules),
    ...createTinyTransformer(core, modules),
    ...createVisionRope(core),
    mropePositions,
    mropeFrequencyAxes,
    alloc: core.alloc,
    tensor: core.tensor,
    HeapTensor: core.HeapTensor,
    memoryStats: core.memoryStats,
    PosencError,
  };
}
