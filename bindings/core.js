// The core every encoding file builds on, over one instantiated WebAssembly module (embind.cpp): heap
// tensors (the zero-copy path), tensor arguments and outputs, and `invoke`, the one way into wasm.
import { fail, fitsMemory, MAX_ELEMENTS, PosencError, show, showShape, size } from './checks.js';
import { addressIn, createHeapTensors } from './heap-tensor.js';
import { kindOf } from './typed-arrays.js';

// Large results for JS arrays (sinusoidalTable, ropeForward) pass through a scratch of this many floats
// in WebAssembly memory, each slice copied out while it is still in cache. 1 MiB: TypedArray.set out of
// WebAssembly memory into a JS array ran 1.35x faster in runs of 1 MiB than of 512 KiB or less, and the W1
// and W2 out calls took 0.6x and 0.8x the time they took with 512 KiB slices (docs/performance.md).
export const SCRATCH_FLOATS = 1 << 18;

// Allocates WebAssembly memory of module M, or throws a coded error.
function malloc(M, bytes) {
  if (bytes === 0) return 0;
  const p = M._malloc(bytes);
  if (!p) fail('BAD_SIZE', `could not allocate ${bytes} bytes of WebAssembly memory (at most 2 GiB in all)`);
  return p;
}

// The records of a call are module-level classes holding their module M. Not object literals with closures
// of their own: V8 keeps a closure's optimised code only while the closure lives, so one made per call was
// recompiled after every full GC. Not classes made per instance either: with two instances loaded (the SIMD
// and the scalar build), those gave every call site two shapes, and a small call took ~1.5 µs longer
// (docs/performance.md).

// What arguments and outputs share: a name for messages, an element type and count, a shape, and where the bytes
// lie in WebAssembly memory (a heap tensor's own address, the address of a view of that memory, or -1 for JS
// memory, which the call copies through its frame).
class TensorRecord {
  constructor(M, name, Ctor, n, shape, heap, view) {
    this.M = M;
    this.name = name;
    this.Ctor = Ctor;
    this.n = n;
    this.shape = shape;
    this.heap = heap;
    this.at = view ? addressIn(M, view) : -1;
    this.addr = -1; // start(), as invoke read it once for the call
  }
  /** Its byte address in WebAssembly memory, or -1 when its values are JS memory. */
  start() {
    return this.heap ? this.heap.byteOffset : this.at;
  }
  get bytes() {
    return this.n * this.Ctor.BYTES_PER_ELEMENT;
  }
}

// An argument's values as the C++ side gets them: an address in WebAssembly memory, or the address of a copy of
// JS values made in the call's frame.
class ArgValues extends TensorRecord {
  constructor(M, name, Ctor, values, n, shape, heap = null) {
    super(M, name, Ctor, n, shape, heap, values);
    this.values = values;
  }
  ptr(frame) {
    return this.addr >= 0 ? this.addr : frame.copy(this.values);
  }
  /** The values now (a view of the current memory when they live there). */
  view() {
    const start = this.start();
    return start >= 0 ? new this.Ctor(this.M.HEAPU8.buffer, start, this.n) : this.values;
  }
}

// Where a result goes: a heap tensor or a view of WebAssembly memory (written in place), or frame memory
// that finish() copies into the caller's array (or into a fresh one). After invoke, `result` holds what
// the call returns. inPlaceOf(arg) declares the one input it may be (element-wise functions).
class OutputArg extends TensorRecord {
  constructor(M, name, heap, target, Ctor, n, shape, asTensor) {
    super(M, name, Ctor, n, shape, heap, target?.view);
    this.ptr = 0;
    this.view = target?.view ?? null;
    this.given = target?.given ?? null;
    this.asTensor = asTensor;
    this.inPlace = null;
    this.result = null;
  }
  inPlaceOf(arg) {
    this.inPlace = arg;
    return this;
  }
  open(frame) {
    this.ptr = this.addr >= 0 ? this.addr : frame.alloc(this.bytes);
    return this.ptr;
  }
  finish() {
    if (this.heap) return (this.result = this.heap);
    const { view, n, shape } = this;
    let data = this.given;
    if (this.at < 0) {
      const values = new this.Ctor(this.M.HEAPU8.buffer, this.ptr, n);
      if (view) view.set(values); // the built-in set of a trusted view: the caller's overrides are not called
      else data = values.slice();
    }
    return (this.result = this.asTensor ? { data, shape: [...shape] } : data); // the caller's own shape array
  }
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


// The JS functions C++ calls back during a streaming call. An exception must not unwind through the C++
// frames, so the first one is kept, the callback returns false (stop) to the C++ loop from then on (no
// further slice is copied), and rethrow() throws it once the C++ side has returned and cleaned up.
// Nothing in them calls the caller's code (trusted views only), so this is a last line of defence.
class CallbackGuard {
  error = null;
  wrap(fn) {
    return (a, b, c, d) => {
      if (this.error !== null) return false;
      try {
        fn(a, b, c, d);
        return true;
      } catch (e) {
        this.error = e;
        return false;
      }
    };
  }
  rethrow() {
    const e = this.error;
    this.error = null;
    if (e === null) return;
    throw e instanceof PosencError ? e : new PosencError('INTERNAL', `a streaming copy failed: ${e?.message ?? e}`, { cause: e });
  }
}


// The heap buffers of one call, freed when it ends (also when it throws), and the outputs to finish.
// Lists with counts rather than lengths: writing an array's length is a runtime call (~2% of a small call).
class Frame {
  ptrs = [];
  outputs = [];
  nOutputs = 0;
  resident = [];
  nResident = 0;
  constructor(M) {
    this.M = M;
  }
  alloc(bytes) {
    const p = malloc(this.M, bytes);
    if (p) this.ptrs.push(p);
    return p;
  }
  copy(values) {
    const p = this.alloc(values.byteLength);
    if (p) this.M.HEAPU8.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), p);
    return p;
  }
  release() {
    if (this.ptrs.length) {
      for (const p of this.ptrs) this.M._free(p);
      this.ptrs.length = 0;
    }
    // Dropped, so that a finished call keeps no caller's array alive.
    for (let i = 0; i < this.nOutputs; i++) this.outputs[i] = null;
    for (let i = 0; i < this.nResident; i++) this.resident[i] = null;
    this.nOutputs = this.nResident = 0;
  }
}

/**
 * The shared machinery over an instantiated Emscripten module (dist/posenc_simd.js or posenc_scalar.js).
 * @param {object} M the module object from the Emscripten factory
 */
export function createCore(M) {
  const byteHeap = () => M.HEAPU8; // re-read after any call that may grow memory
  const heapF32 = () => M.HEAPF32;


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
    visionRopeStyle: namesOf(M.visionRopeStyleName),
  });

  const { HeapTensor, alloc, tensor, shapeOf, countOf, viewOf, convertHint } = createHeapTensors(M, (bytes) => malloc(M, bytes));

  // ---- arguments ---------------------------------------------------------------------------------

  // Values built by the bindings themselves (flat option blocks), copied in as they are.
  const valuesArg = (values) => new ArgValues(M, null, values.constructor, values, values.length, [values.length]);
  // A caller's bare typed array of any length.
  function arrayArg(name, v, Ctor) {
    const view = viewOf(name, v, Ctor);
    return new ArgValues(M, name, Ctor, view, view.length, [view.length]);
  }

  // A tensor argument: a HeapTensor, or {data, shape}. dims names each axis (null: any rank).
  function tensorArg(name, t, dims, Ctor = Float32Array) {
    const dtype = Ctor === Int32Array ? 'int32' : 'float32';
    if (HeapTensor.is(t)) {
      if (t.deleted) fail('DELETED', `${name} is a deleted heap tensor`);
      if (t.dtype !== dtype) fail('SHAPE_MISMATCH', `${name} must hold ${dtype} values, got a ${t.dtype} heap tensor`);
      if (dims && t.shape.length !== dims.length) fail('SHAPE_MISMATCH', `${name}.shape must be ${dimsText(dims)}, got ${showShape(t.shape)}`);
      return new ArgValues(M, name, Ctor, null, t.length, t.shape, t); // a heap tensor's shape is frozen
    }
    if (t === null || typeof t !== 'object' || !('data' in t) || !('shape' in t)) {
      fail('SHAPE_MISMATCH', `${name} must be a tensor {data: ${Ctor.name}, shape: ${dimsText(dims)}}, got ${show(t)}`);
    }
    const { data, shape } = t; // each read once: a getter is not asked again
    const sizes = Array.isArray(shape) ? shapeOf(`${name}.shape`, shape) : null;
    if (!sizes || (dims && sizes.length !== dims.length)) {
      fail('SHAPE_MISMATCH', `${name}.shape must be ${dims ? dimsText(dims) : 'an array of sizes'}, got ${showShape(sizes ?? shape)}`);
    }
    const n = countOf(sizes);
    const view = viewOf(`${name}.data`, data, Ctor);
    if (view.length !== n) {
      fail('SHAPE_MISMATCH', `${name}.data has ${view.length} elements but ${name}.shape ${showShape(sizes)} needs ${n}`);
    }
    return new ArgValues(M, name, Ctor, view, n, sizes);
  }
  // Made only when a message needs it: joining dims on every call cost ~10% of a small call.
  const dimsText = (dims) => (dims ? `[${dims.join(', ')}]` : 'of any rank');

  // A 1-D argument given as a typed array, a {data, shape} tensor or a heap tensor; absent → null.
  function vectorArg(name, v, Ctor = Float32Array) {
    if (v === undefined || v === null) return null;
    if (kindOf(v) === Ctor.name) return arrayArg(name, v, Ctor);
    if (HeapTensor.is(v) || (typeof v === 'object' && 'data' in v)) return tensorArg(name, v, null, Ctor);
    return fail('SHAPE_MISMATCH', `${name} must be a ${Ctor.name}, got ${show(v)}` + convertHint(v, Ctor));
  }

  // 0/1 values as bytes: a Uint8Array, or any array of 0/1 (or booleans), copied; absent → null.
  function maskArg(name, v) {
    if (v === undefined || v === null) return null;
    const kind = kindOf(v);
    if (kind === 'Uint8Array') return arrayArg(name, v, Uint8Array);
    if (!Array.isArray(v) && !kind) fail('SHAPE_MISMATCH', `${name} must be a Uint8Array (or any array of 0/1), got ${show(v)}`);
    const values = kind ? viewOf(name, v, globalThis[kind]) : v;
    const n = fitsMemory(name, values.length);
    const bytes = new Uint8Array(n);
    for (let i = 0; i < n; ++i) {
      const k = values[i];
      if (k === 1 || k === true || k === 1n) bytes[i] = 1;
      else if (!(k === 0 || k === false || k === 0n)) fail('OUT_OF_RANGE', `${name} entries must be 0 or 1, got ${show(k)} at index ${i}`);
    }
    return new ArgValues(M, name, Uint8Array, bytes, n, [n]);
  }

  // positions: Int32Array (seq,) or (batch, seq), or a tensor of them. A tensor's shape must say which
  // (a bare Int32Array of batch·seq is read as (batch, seq)); the C++ side checks the length.
  function positionsArg(v, batch, seq) {
    const arg = vectorArg('positions', v, Int32Array);
    if (arg && kindOf(v) !== 'Int32Array' && batch !== undefined) {
      const s = arg.shape;
      if (!((s.length === 1 && s[0] === seq) || (s.length === 2 && s[0] === batch && s[1] === seq))) {
        fail('SHAPE_MISMATCH', `positions.shape must be [${seq}] (seq) or [${batch}, ${seq}] (batch, seq), got ${showShape(s)}`);
      }
    }
    return arg;
  }
  const lenOf = (arg) => (arg ? arg.n : 0);
  // The rank a tensor argument declares (0 when it declares none): picks between [H, Q, K] and [B, H, Q, K].
  const rankOf = (t) => (HeapTensor.is(t) ? t.shape.length : Array.isArray(t?.shape) ? t.shape.length : 0);

  // The caller's array behind `out` (a typed array or {data, shape}, each read once), checked: a trusted
  // view to write through, and what to give back (the caller's own array). null when absent.
  function outputTarget(name, out, n, shape, Ctor) {
    if (out === undefined || out === null) return null;
    const bare = kindOf(out) !== undefined;
    const given = bare ? out : typeof out === 'object' ? out.data : undefined;
    if (kindOf(given) !== Ctor.name) fail('SHAPE_MISMATCH', `${name} must be a ${Ctor.name}, a {data: ${Ctor.name}, shape} or a heap tensor, got ${show(out)}`);
    const view = viewOf(bare ? name : `${name}.data`, given, Ctor);
    if (view.length !== n) fail('SHAPE_MISMATCH', `${name} must have ${n} elements for shape ${showShape(shape)}, got ${view.length}`);
    const outShape = bare ? undefined : out.shape;
    if (outShape !== undefined && showShape(outShape) !== showShape(shape)) {
      fail('SHAPE_MISMATCH', `${name}.shape must be ${showShape(shape)}, got ${showShape(outShape)}`);
    }
    return { view, given };
  }

  // `out` may be absent (a fresh owned copy), a typed array of the right length, a {data, shape}, or a
  // heap tensor (written in place, no copy). asTensor false: the result is the bare typed array. A result
  // over the size limit is BAD_SIZE, checked here, after the arguments it is computed from.
  function output(name, out, shape, Ctor = Float32Array, asTensor = true) {
    let n = 1;
    for (let i = 0; i < shape.length; i++) n *= shape[i];
    if (n > MAX_ELEMENTS) fitsMemory(`${name} ${showShape(shape)}`, n); // the message only on failure (a per-call template cost ~2%)
    if (HeapTensor.is(out)) {
      const dtype = Ctor === Int32Array ? 'int32' : 'float32';
      if (out.deleted) fail('DELETED', `${name} is a deleted heap tensor`);
      if (out.dtype !== dtype || out.length !== n) {
        fail('SHAPE_MISMATCH', `${name} must hold ${n} ${dtype} values for shape ${showShape(shape)}, got a ${out.dtype} heap tensor of ${out.length}`);
      }
      return new OutputArg(M, name, out, null, Ctor, n, shape, asTensor);
    }
    return new OutputArg(M, name, null, outputTarget(name, out, n, shape, Ctor), Ctor, n, shape, asTensor);
  }

  // Outputs in WebAssembly memory may not overlap an input or another output (the kernels read inputs
  // while they write), except an output declared in place that is exactly its input.
  function checkOverlaps(method, resident, count) {
    // Addresses as numbers, no arrays: this runs on every call (an array per range showed up as GC time).
    for (let i = 0; i < count; i++) {
      const out = resident[i];
      if (!(out instanceof OutputArg)) continue;
      const a0 = out.addr, a1 = a0 + out.bytes;
      for (let j = 0; j < count; j++) {
        const other = resident[j];
        if (other === out) continue;
        const b0 = other.addr, b1 = b0 + other.bytes;
        if (a1 <= b0 || b1 <= a0) continue;
        if (out.inPlace === other && a0 === b0 && a1 === b1) continue;
        fail('SHAPE_MISMATCH', `${out.name} overlaps ${other.name} in WebAssembly memory; ${method} ` +
          (out.inPlace ? `writes in place only over ${out.inPlace.name} itself` : 'cannot write over its inputs') + `: pass another ${out.name}`);
      }
    }
  }

  // ---- invoke ------------------------------------------------------------------------------------

  // Frames are reused: while none was alive, a full GC collected the Frame object shape and V8 threw away
  // the optimised code of every call that had inlined it. A call made inside another gets its own frame.
  const idleFrames = [];

  // C++ never throws into JS: an export that throws holds the exception and raises a flag in wasm memory
  // (bindings/errors.cpp). Take its code and the message C++ built, which releases it. An allocation failure
  // inside C++ says only "std::bad_alloc": name the call that asked.
  const heldFlag = M.heldErrorFlag() >> 2;
  function heldError(method, construct) {
    const code = M.takeExceptionCode(), message = M.takeExceptionMessage();
    if (code === 'BAD_SIZE' && /bad_alloc/.test(message)) {
      return new PosencError(code, `${construct ? `new ${method}` : `${method}()`} could not allocate the WebAssembly memory its sizes ` +
        `need (${message}; at most 2 GiB in all, ${M.heapInUse()} bytes in use): use smaller sizes`);
    }
    return new PosencError(code, message);
  }

  /**
   * Calls `target[method](...args)` (or `new target[method](...args)` when `construct`): arguments that
   * are ArgValues, OutputArg or Scratch become addresses in a frame (null → 0), outputs are finished
   * (their `.result` set) before the frame's memory is freed, the stack pointer is put back and a held C++
   * exception becomes a coded PosencError. Every call into wasm goes through here.
   */
  function invoke(target, method, args, construct = false) {
    const frame = idleFrames.pop() ?? new Frame(M);
    const sp = M.stackSave();
    try {
      // The records whose bytes the call reads or writes in WebAssembly memory, checked before anything is
      // copied in; most calls have one output there or none.
      const resident = frame.resident;
      let outputs = 0;
      for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (!(a instanceof TensorRecord)) continue;
        a.addr = a.start();
        if (a.addr < 0) continue;
        resident[frame.nResident++] = a;
        if (a instanceof OutputArg) outputs++;
      }
      if (outputs) checkOverlaps(method, resident, frame.nResident);
      for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (typeof a !== 'object') continue; // numbers, booleans and callbacks go as they are
        if (a === null) args[i] = 0;
        else if (a instanceof ArgValues) args[i] = a.ptr(frame);
        else if (a instanceof OutputArg) {
          args[i] = a.open(frame);
          frame.outputs[frame.nOutputs++] = a;
        } else if (a instanceof Scratch) args[i] = a.open(frame);
      }
      const value = construct ? new target[method](...args) : target[method](...args);
      if (M.HEAP32[heldFlag] !== 0) throw heldError(method, construct);
      for (let i = 0; i < frame.nOutputs; i++) frame.outputs[i].finish();
      return value;
    } catch (e) {
      M.stackRestore(sp);
      throw e;
    } finally {
      frame.release();
      idleFrames.push(frame);
    }
  }

  // Owned copies of C++ buffers (module state).
  const copyF32 = (ptr, n) => new Float32Array(byteHeap().buffer, ptr, n).slice();
  const copyF64AsF32 = (ptr, n) => Float32Array.from(new Float64Array(byteHeap().buffer, ptr, n));

  /** Heap size, bytes in use by malloc, malloc's peak footprint, the stack pointer and live Embind handles: for leak checks. */
  // Heap figures of what callers own: the kernels' reuse caches are released first.
  function memoryStats() {
    M.releaseCaches();
    return {
      heapBytes: byteHeap().length, inUse: M.heapInUse(), peakBytes: M.heapPeak(), stackPointer: M.stackSave(),
      handles: M.count_emval_handles(),
    };
  }

  return {
    M, enums, heapF32,
    HeapTensor, alloc, tensor, memoryStats,
    tensorArg, valuesArg, vectorArg, maskArg, positionsArg, lenOf, rankOf, output, outputTarget, Scratch, CallbackGuard,
    invoke, copyF32, copyF64AsF32,
  };
}
