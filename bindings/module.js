// The base of the seed's module classes (a C++ object behind a handle, PyTorch-like train/eval and state
// dicts) and what several of them share.
import { bool, disposeSymbol, fail, lastPosition, optPosition, options, show, showShape, size } from './checks.js';

/** @param {ReturnType<import('./core.js').createCore>} core */
export function createModuleBase(core) {
  const { invoke, tensorArg, output } = core;

  // A state entry that is derived from the config (not learned): loading checks it matches.
  function checkDerived(cls, key, entry, expected) {
    const got = tensorArg(`state.${key}`, entry, null);
    if (got.shape.join() !== expected.shape.join()) {
      fail('SHAPE_MISMATCH', `state.${key} must have shape ${showShape(expected.shape)} for this ${cls}, got ${showShape(got.shape)}`);
    }
    const data = got.view(); // the values checked, not a second read of entry.data
    for (let i = 0; i < data.length; ++i) {
      const e = expected.data[i];
      if (!(Math.abs(data[i] - e) <= 2e-6 + 2e-6 * Math.abs(e))) {
        fail('OUT_OF_RANGE', `state.${key}[${i}] is ${data[i]} but this ${cls}'s config gives ${e}: ${key} is computed, not learned; ` +
          'construct the module with the checkpoint\'s config instead');
      }
    }
  }

  function stateEntry(state, key, cls) {
    if (state === null || typeof state !== 'object') fail('SHAPE_MISMATCH', `state must be an object from stateDict(), got ${show(state)}`);
    if (!(key in state)) fail('SHAPE_MISMATCH', `state is missing '${key}' (${cls}.stateDict() has it)`);
    return state[key];
  }

  const BIAS_OPTIONS = ['qOffset', 'out'];
  // A [numHeads, qLen, kLen] bias from a module method taking (qLen, kLen, qOffset, out, outLength).
  function moduleBias(module, method, qLen, kLen, opts) {
    const o = options(opts, BIAS_OPTIONS, `${module.constructor.name}.${method}`);
    const h = module.handle;
    size('qLen', qLen);
    size('kLen', kLen);
    const qOffset = optPosition('qOffset', o.qOffset);
    if (!Number.isNaN(qOffset)) lastPosition('qOffset', qOffset, qLen, 'qLen');
    const out = output('out', o.out, [module.numHeads, qLen, kLen]);
    invoke(h, method, [qLen, kLen, qOffset, out, out.n]);
    return out.result;
  }

  class Module {
    #handle;
    #name;
    // name: the C++ class behind it (the same name), args: its constructor's arguments.
    constructor(name, args) {
      this.#name = name;
      this.#handle = invoke(core.M, name, args, true);
      this.training = true;
    }
    get handle() {
      if (!this.#handle) fail('DELETED', `this ${this.#name} was deleted; create a new one`);
      return this.#handle;
    }
    get deleted() {
      return !this.#handle;
    }
    /** Train mode (dropout active where the module has dropout); PyTorch modules start in it. */
    train(on = true) {
      bool('on', on, true);
      const h = this.handle;
      if (h.train) invoke(h, 'train', [on]);
      this.training = on;
      return this;
    }
    eval() {
      return this.train(false);
    }
    /** Frees the module's WebAssembly memory; calling it again does nothing. */
    delete() {
      if (this.#handle) invoke(this.#handle, 'delete', []);
      this.#handle = null;
    }
    [disposeSymbol]() {
      this.delete();
    }
    /** Checks `state` against this module's buffers, which are computed from its config (Learned… overrides). */
    loadStateDict(state) {
      const own = this.stateDict();
      for (const key of Object.keys(own)) checkDerived(this.#name, key, stateEntry(state, key, this.#name), own[key]);
      return this;
    }
  }

  return { Module, moduleBias, stateEntry };
}
