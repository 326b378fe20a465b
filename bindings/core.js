// The core every encoding file builds on, over one instantiated WebAssembly module (embind.cpp): heap
// tensors (the zero-copy path), tensor arguments and outputs, and `invoke`, the one way into wasm.
import { disposeSymbol, fail, PosencError, show, showShape, size } from './checks.js';

// Large results for JS arrays (sinusoidalTable, ropeForward) pass through a scratch of this many floats
// in WebAssembly memory, each slice copied out while it is still in cache (docs/performance.md: 512 KiB
// beat 128 KiB, 256 KiB and 1 MiB for both W1's table slices and W2's RoPE scratch).
export const SCRATCH_FLOATS = 1 << 17;
const MAX_ELEMENTS = 536870911;

/**
 * The shared machinery over an instantiated Emscripten module (dist/posenc_simd.js or posenc_scalar.js).
 * @param {object} M the module object from the Emscripten factory
 */
export function createCore(M) {
  const byteHeap = () => M.HEAPU8; // re-read after any call that may grow memory
  const heapF32 = () => M.HEAPF32;

  function malloc(bytes) {
    if (bytes === 0) return 0;
    const p = M._malloc(bytes);
    if (!p) fail('BAD_SIZE', `could not allocate ${bytes} bytes of WebAssembly memory (at most 2 GiB in all)`);
    return p;
  }

  // The names of a C++ enum, listed by counting up until the C++ side answers "".
  function namesOf(nameAt) {
    const names = [];
    for (let name = nameAt(0); name !== ''; name = nameAt(names.length)) names.push(name);
    return Object.freeze(names);
  }
  const enums = Object.freeze({
    ropeType: namesOf(M.ropeTypeName),
    layout: namesOf(M.ropeLayoutName),
    alibiMode: namesOf(M.alibiModeName),
    scalingField: namesOf(M.scalingFieldName),
  });

  // ---- heap tensors (the zero-copy path) ---------------------------------------------------------

  const DTYPES = { float32: Float32Array, int32: Int32Array };

  function checkShape(name, shape) {
    if (!Array.isArray(shape) || shape.length === 0) fail('SHAPE_MISMATCH', `${name} must be a non-empty array of sizes, got ${showShape(shape)}`);
    let n = 1;
    for (let i = 0; i < shape.length; i++) n *= size(`${name}[${i}]`, shape[i]);
    if (n > MAX_ELEMENTS) fail('BAD_SIZE', `${name} ${showShape(shape)} has ${n} elements, more than the ${MAX_ELEMENTS} a buffer can hold here`);
    return n;
  }

  /** A tensor that lives in WebAssembly memory; `.data` is re-derived from the current memory on each access. */
  class HeapTensor {
    #ptr;
    #length;
    #Array;
    constructor(shape, dtype = 'float32') {
      if (!Object.hasOwn(DTYPES, dtype)) fail('OUT_OF_RANGE', `dtype must be one of 'float32', 'int32', got ${show(dtype)}`);
      this.#length = checkShape('shape', shape);
      this.#Array = DTYPES[dtype];
      this.#ptr = malloc(this.#length * 4);
      this.shape = Object.freeze([...shape]);
      this.dtype = dtype;
      byteHeap().fill(0, this.#ptr, this.#ptr + this.#length * 4);
    }
    #alive() {
      if (this.#ptr === null) fail('DELETED', 'this heap tensor was deleted; allocate a new one with pe.alloc() or pe.tensor()');
      return this.#ptr;
    }
    /** Address in WebAssembly memory (bytes). */
    get byteOffset() {
      return this.#alive();
    }
    get length() {
      return this.#length;
    }
    get deleted() {
      return this.#ptr === null;
    }
    /** A view of the current memory: valid until the next posenc call that may grow memory; re-read it then. */
    get data() {
      return new this.#Array(byteHeap().buffer, this.#alive(), this.#length);
    }
    /** An owned copy of the values. */
    read() {
      return this.data.slice();
    }
    /** Copies `values` (same type and length) into the tensor. */
    write(values) {
      if (!(values instanceof this.#Array) || values.length !== this.#length) {
        fail('SHAPE_MISMATCH', `write() needs a ${this.#Array.name}(${this.#length}), got ${show(values)}`);
      }
      this.data.set(values);
      return this;
    }
    delete() {
      if (this.#ptr !== null && this.#ptr !== 0) M._free(this.#ptr);
      this.#ptr = null;
    }
    [disposeSymbol]() {
      this.delete();
    }
  }

  function alloc(shape, dtype = 'float32') {
    return new HeapTensor(shape, dtype);
  }

  function tensor(data, shape) {
    const dtype = data instanceof Float32Array ? 'float32' : data instanceof Int32Array ? 'int32' : null;
    if (!dtype) fail('SHAPE_MISMATCH', `data must be a Float32Array or Int32Array, got ${show(data)}`);
    shape = shape ?? [data.length];
    const t = new HeapTensor(shape, dtype);
    if (t.length !== data.length) {
      t.delete();
      fail('SHAPE_MISMATCH', `data has ${data.length} elements but shape ${showShape(shape)} needs ${t.length}`);
    }
    t.data.set(data);
    return t;
  }

  // ---- arguments ---------------------------------------------------------------------------------
  // Argument and output records are classes, not object literals with their own closures: V8 keeps a
  // closure's optimised code only while the closure lives, so one made per call was recompiled after
  // every full GC (docs/performance.md, "No closure made per call").

  // An argument's values as the C++ side gets them: a heap tensor's own address, or the address of a
  // copy of JS values made in the call's frame.
  class ArgValues {
    constructor(values, n, shape, heap = null) {
      this.values = values;
      this.n = n;
      this.shape = shape;
      this.heap = heap;
    }
    ptr(frame) {
      return this.heap ? this.heap.byteOffset : frame.copy(this.values);
    }
  }

  // Values built by the bindings themselves (flat option blocks), copied in as they are.
  const valuesArg = (values) => new ArgValues(values, values.length, [values.length]);

  // A tensor argument: a HeapTensor, or {data, shape}. dims names each axis (null: any rank).
  function tensorArg(name, t, dims, Ctor = Float32Array) {
    const dtype = Ctor === Int32Array ? 'int32' : 'float32';
    if (t instanceof HeapTensor) {
      if (t.deleted) fail('DELETED', `${name} is a deleted heap tensor`);
      if (t.dtype !== dtype) fail('SHAPE_MISMATCH', `${name} must hold ${dtype} values, got a ${t.dtype} heap tensor`);
      if (dims && t.shape.length !== dims.length) fail('SHAPE_MISMATCH', `${name}.shape must be ${dimsText(dims)}, got ${showShape(t.shape)}`);
      return new ArgValues(null, t.length, [...t.shape], t);
    }
    if (t === null || typeof t !== 'object' || !('data' in t) || !('shape' in t)) {
      fail('SHAPE_MISMATCH', `${name} must be a tensor {data: ${Ctor.name}, shape: ${dimsText(dims)}}, got ${show(t)}`);
    }
    const { data, shape } = t;
    if (!Array.isArray(shape) || (dims && shape.length !== dims.length)) {
      fail('SHAPE_MISMATCH', `${name}.shape must be ${dims ? dimsText(dims) : 'an array of sizes'}, got ${showShape(shape)}`);
    }
    const n = checkShape(`${name}.shape`, shape);
    if (!(data instanceof Ctor)) {
      fail('SHAPE_MISMATCH', `${name}.data must be a ${Ctor.name}, got ${show(data)}` + convertHint(data, Ctor));
    }
    if (data.length !== n) {
      fail('SHAPE_MISMATCH', `${name}.data has ${data.length} elements but ${name}.shape ${showShape(shape)} needs ${n}`);
    }
    return new ArgValues(data, n, [...shape]);
  }
  // Made only when a message needs it: joining dims on every call cost ~10% of a small call.
  const dimsText = (dims) => (dims ? `[${dims.join(', ')}]` : 'of any rank');
  const convertHint = (v, Ctor) => (Array.isArray(v) || ArrayBuffer.isView(v) ? ` (convert it with ${Ctor.name}.from(...))` : '');

  // A 1-D argument given as a typed array, a {data, shape} tensor or a heap tensor; absent → null.
  function vectorArg(name, v, Ctor = Float32Array) {
    if (v === undefined || v === null) return null;
    if (v instanceof Ctor) return new ArgValues(v, v.length, [v.length]);
    if (v instanceof HeapTensor || (typeof v === 'object' && 'data' in v)) return tensorArg(name, v, null, Ctor);
    return fail('SHAPE_MISMATCH', `${name} must be a ${Ctor.name}, got ${show(v)}` + convertHint(v, Ctor));
  }

  // 0/1 values as bytes: a Uint8Array, or any array of 0/1 (or booleans), copied; absent → null.
  function maskArg(name, v) {
    if (v === undefined || v === null) return null;
    if (v instanceof Uint8Array) return new ArgValues(v, v.length, [v.length]);
    if (!Array.isArray(v) && !(ArrayBuffer.isView(v) && !(v instanceof DataView))) {
      fail('SHAPE_MISMATCH', `${name} must be a Uint8Array (or any array of 0/1), got ${show(v)}`);
    }
    const bytes = new Uint8Array(v.length);
    for (let i = 0; i < v.length; ++i) {
      const k = v[i];
      if (k === 1 || k === true || k === 1n) bytes[i] = 1;
      else if (!(k === 0 || k === false || k === 0n)) fail('OUT_OF_RANGE', `${name} entries must be 0 or 1, got ${show(k)} at index ${i}`);
    }
    return new ArgValues(bytes, bytes.length, [bytes.length]);
  }

  // positions: Int32Array (seq,) or (batch, seq), or a tensor of them. A tensor's shape must say which
  // (a bare Int32Array of batch·seq is read as (batch, seq)); the C++ side checks the length.
  function positionsArg(v, batch, seq) {
    const arg = vectorArg('positions', v, Int32Array);
    if (arg && !(v instanceof Int32Array) && batch !== undefined) {
      const s = arg.shape;
      if (!((s.length === 1 && s[0] === seq) || (s.length === 2 && s[0] === batch && s[1] === seq))) {
        fail('SHAPE_MISMATCH', `positions.shape must be [${seq}] (seq) or [${batch}, ${seq}] (batch, seq), got ${showShape(s)}`);
      }
    }
    return arg;
  }
  const lenOf = (arg) => (arg ? arg.n : 0);

  // The caller's typed array behind `out` (a typed array or {data, shape}), checked; null when absent.
  function outputTarget(name, out, n, shape, Ctor) {
    if (out === undefined || out === null) return null;
    const target = out instanceof Ctor ? out : typeof out === 'object' && out.data instanceof Ctor ? out.data : null;
    if (!target) fail('SHAPE_MISMATCH', `${name} must be a ${Ctor.name}, a {data: ${Ctor.name}, shape} or a heap tensor, got ${show(out)}`);
    if (target.length !== n) fail('SHAPE_MISMATCH', `${name} must have ${n} elements for shape ${showShape(shape)}, got ${target.length}`);
    if (target !== out && out.shape !== undefined && showShape(out.shape) !== showShape(shape)) {
      fail('SHAPE_MISMATCH', `${name}.shape must be ${showShape(shape)}, got ${showShape(out.shape)}`);
    }
    return target;
  }

  // Where a result goes: a heap tensor (written in place), or frame memory that finish() copies into the
  // caller's array (or into a fresh one). After invoke, `result` holds what the call returns.
  class OutputArg {
    constructor(heap, target, Ctor, n, shape, asTensor) {
      this.ptr = heap ? heap.byteOffset : 0;
      this.heap = heap;
      this.target = target;
      this.Ctor = Ctor;
      this.n = n;
      this.shape = shape;
      this.asTensor = asTensor;
      this.result = null;
    }
    open(frame) {
      if (!this.heap) this.ptr = frame.alloc(this.n * 4);
      return this.ptr;
    }
    finish() {
      if (this.heap) return (this.result = this.heap);
      const { target, n, shape } = this;
      const view = new this.Ctor(byteHeap().buffer, this.ptr, n);
      const data = target ? (target.set(view), target) : view.slice();
      return (this.result = this.asTensor ? { data, shape } : data);
    }
  }

  // `out` may be absent (a fresh owned copy), a typed array of the right length, a {data, shape}, or a
  // heap tensor (written in place, no copy). asTensor false: the result is the bare typed array.
  function output(name, out, shape, Ctor = Float32Array, asTensor = true) {
    let n = 1;
    for (let i = 0; i < shape.length; i++) n *= shape[i];
    if (out instanceof HeapTensor) {
      const dtype = Ctor === Int32Array ? 'int32' : 'float32';
      if (out.deleted) fail('DELETED', `${name} is a deleted heap tensor`);
      if (out.dtype !== dtype || out.length !== n) {
        fail('SHAPE_MISMATCH', `${name} must hold ${n} ${dtype} values for shape ${showShape(shape)}, got a ${out.dtype} heap tensor of ${out.length}`);
      }
      return new OutputArg(out, null, Ctor, n, shape, asTensor);
    }
    return new OutputArg(null, outputTarget(name, out, n, shape, Ctor), Ctor, n, shape, asTensor);
  }

  // A page-aligned scratch of `floats` floats for the streaming paths; `at` is its float index during
  // the call. TypedArray.set between it and large JS arrays ran 25-35% faster than at malloc's 8-byte
  // alignment (W2's 64 MiB: 5.1-5.7 ms instead of 6.9-7.7; page offsets 64…3072 were all slow).
  class Scratch {
    constructor(floats) {
      this.floats = floats;
      this.at = 0;
    }
    open(frame) {
      const p = (frame.alloc(this.floats * 4 + 4096) + 4095) & ~4095;
      this.at = p >> 2;
      return p;
    }
  }

  // ---- invoke ------------------------------------------------------------------------------------

  // The heap buffers of one call, freed when it ends (also when it throws), and the outputs to finish.
  class Frame {
    ptrs = [];
    outputs = [];
    alloc(bytes) {
      const p = malloc(bytes);
      if (p) this.ptrs.push(p);
      return p;
    }
    copy(values) {
      const p = this.alloc(values.byteLength);
      if (p) byteHeap().set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), p);
      return p;
    }
    release() {
      for (const p of this.ptrs) M._free(p);
      this.ptrs.length = 0;
      this.outputs.length = 0;
    }
  }
  // Frames are reused: while none was alive, a full GC collected the Frame object shape and V8 threw away
  // the optimised code of every call that had inlined it. A call made inside another gets its own frame.
  const idleFrames = [];

  // A C++ exception arrives as its address: read code and message (the message C++ built), free it.
  function thrownByCpp(e) {
    if (typeof e !== 'number') return e;
    return new PosencError(M.takeExceptionCode(e), M.takeExceptionMessage(e));
  }

  /**
   * Calls `target[method](...args)` (or `new target[method](...args)` when `construct`): arguments that
   * are ArgValues, OutputArg or Scratch become addresses in a frame (null → 0), outputs are finished
   * (their `.result` set) before the frame's memory is freed, the stack pointer is put back and a C++
   * exception becomes a coded PosencError. Every call into wasm goes through here.
   */
  function invoke(target, method, args, construct = false) {
    const frame = idleFrames.pop() ?? new Frame();
    const sp = M.stackSave();
    try {
      for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (typeof a !== 'object') continue; // numbers, booleans and callbacks go as they are
        if (a === null) args[i] = 0;
        else if (a instanceof ArgValues) args[i] = a.ptr(frame);
        else if (a instanceof OutputArg) {
          args[i] = a.open(frame);
          frame.outputs.push(a);
        } else if (a instanceof Scratch) args[i] = a.open(frame);
      }
      const value = construct ? new target[method](...args) : target[method](...args);
      for (const out of frame.outputs) out.finish();
      return value;
    } catch (e) {
      M.stackRestore(sp);
      throw thrownByCpp(e);
    } finally {
      frame.release();
      idleFrames.push(frame);
    }
  }

  // Owned copies of C++ buffers (module state).
  const copyF32 = (ptr, n) => new Float32Array(byteHeap().buffer, ptr, n).slice();
  const copyF64AsF32 = (ptr, n) => Float32Array.from(new Float64Array(byteHeap().buffer, ptr, n));

  /** Heap size, bytes in use by malloc, malloc's peak footprint, and the stack pointer: for leak checks. */
  function memoryStats() {
    return { heapBytes: byteHeap().length, inUse: M.heapInUse(), peakBytes: M.heapPeak(), stackPointer: M.stackSave() };
  }

  return {
    M, enums, heapF32,
    HeapTensor, alloc, tensor, memoryStats,
    tensorArg, valuesArg, vectorArg, maskArg, positionsArg, lenOf, outputTarget, output, Scratch,
    invoke, copyF32, copyF64AsF32,
  };
}
