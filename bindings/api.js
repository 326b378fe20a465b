// The JavaScript API of DESIGN.md over one instantiated WebAssembly module (embind.cpp): argument checks
// with precise messages, {data, shape} tensors in and out, C++ errors as coded JS Errors, heap tensors
// for the zero-copy path, and the seed's four modules as classes. Shared by index.js and index.node.js.

const CODES = ['NON_FINITE', 'BAD_HEADS', 'BAD_SIZE', 'ODD_DIM', 'ROT_DIM', 'OUT_OF_RANGE', 'SHAPE_MISMATCH', 'BAD_POSITION'];
const MAX_POSITION = 2147483647;
const disposeSymbol = Symbol.dispose ?? Symbol.for('nodejs.dispose');

/** Every error posenc throws: `.code` is SPEC §10's code (or LOAD_FAILED / DELETED for the two JS-only cases). */
export class PosencError extends Error {
  constructor(code, message, options) {
    super(message, options);
    this.name = 'PosencError';
    this.code = code;
  }
}
PosencError.codes = CODES;

const fail = (code, message) => {
  throw new PosencError(code, message);
};

// How a value reads in a message: 7, NaN, 'foo', an Array, a Float64Array(3), undefined.
function show(v) {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'number' || typeof v === 'boolean' || v == null || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `an Array(${v.length})`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}(${v.length ?? v.byteLength})`;
  if (typeof v === 'function') return 'a function';
  return 'an object';
}
const showShape = (shape) => (Array.isArray(shape) ? `[${shape.map(show).join(', ')}]` : show(shape));

// C++ messages name arguments as SPEC does (snake_case); a JS caller passed the camelCase option, so the
// message names that one. Keys inside a rope_scaling object stay snake_case (\b keeps
// original_max_position_embeddings whole).
const JS_NAMES = {
  d_rot: 'dRot', head_dim: 'headDim', max_len: 'maxLen', num_heads: 'numHeads', num_buckets: 'numBuckets',
  max_distance: 'maxDistance', q_len: 'qLen', k_len: 'kLen', q_offset: 'qOffset', keep_mask: 'keepMask',
  seq_len: 'seqLen', max_position_embeddings: 'maxPositionEmbeddings', scale_base: 'scaleBase', use_ln: 'useLn',
};
const JS_NAME_PATTERN = new RegExp(`(?<![.\\w])(${Object.keys(JS_NAMES).join('|')})\\b`, 'g');
const jsNames = (message) => message.replace(JS_NAME_PATTERN, (name) => JS_NAMES[name]);

// ---- scalar arguments ------------------------------------------------------------------------------

function options(name, o) {
  if (o === undefined || o === null) return {};
  if (typeof o !== 'object' || Array.isArray(o) || ArrayBuffer.isView(o)) {
    fail('OUT_OF_RANGE', `${name} must be an options object, got ${show(o)}`);
  }
  return o;
}

// A float parameter: NON_FINITE unless a finite number.
function num(name, v, fallback) {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail('NON_FINITE', `${name} must be a finite number, got ${show(v)}`);
  return v;
}
// An optional float parameter, NaN when absent (the C++ side's "not given").
const optNum = (name, v) => num(name, v, NaN);

// An integer: `code` unless a safe integer >= min (and <= max).
function int(name, v, code, min, fallback, max = Number.MAX_SAFE_INTEGER) {
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const rule = min === 1 ? 'a positive integer' : max === MAX_POSITION ? `an integer in [${min}, ${max}]` : `an integer >= ${min}`;
    fail(code, `${name} must be ${rule}, got ${show(v)}`);
  }
  return v;
}
const size = (name, v, fallback) => int(name, v, 'BAD_SIZE', 1, fallback);
const heads = (name, v, fallback) => int(name, v, 'BAD_HEADS', 1, fallback);
const position = (name, v, fallback) => int(name, v, 'BAD_POSITION', 0, fallback, MAX_POSITION);
const optPosition = (name, v) => (v === undefined || v === null ? NaN : position(name, v));
const optSize = (name, v) => (v === undefined || v === null ? NaN : size(name, v));

function bool(name, v, fallback) {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') fail('OUT_OF_RANGE', `${name} must be true or false, got ${show(v)}`);
  return v;
}

// The index of a name in a list: OUT_OF_RANGE for anything else.
function choice(name, v, names, fallback) {
  if (v === undefined || v === null) v = fallback;
  const i = typeof v === 'string' ? names.indexOf(v) : -1;
  if (i < 0) fail('OUT_OF_RANGE', `${name} must be one of ${names.map(show).join(', ')}, got ${show(v)}`);
  return i;
}

// ---- the module ------------------------------------------------------------------------------------

/**
 * Wraps an instantiated Emscripten module (dist/posenc_simd.js or posenc_scalar.js) as the public API.
 * @param {object} M the module object from the Emscripten factory
 */
export function createApi(M) {
  const heapF32 = () => M.HEAPF32; // re-read after any call that may grow memory
  const byteHeap = () => M.HEAPU8;

  // Runs a bound C++ function; a C++ exception arrives as its address: read code and message, free it,
  // and put the stack pointer back where it was (TOOLCHAIN.md §2).
  function call(fn, ...args) {
    const sp = M.stackSave();
    try {
      return fn(...args);
    } catch (e) {
      throw thrownByCpp(e, sp);
    }
  }
  // call for a method of a C++ object (a module's handle), without a closure made per call.
  function callOn(object, method, ...args) {
    const sp = M.stackSave();
    try {
      return object[method](...args);
    } catch (e) {
      throw thrownByCpp(e, sp);
    }
  }
  function thrownByCpp(e, sp) {
    M.stackRestore(sp);
    if (typeof e !== 'number') return e;
    const code = M.takeExceptionCode(e);
    return new PosencError(code, jsNames(M.takeExceptionMessage(e)));
  }

  function malloc(bytes) {
    if (bytes === 0) return 0;
    const p = M._malloc(bytes);
    if (!p) fail('BAD_SIZE', `could not allocate ${bytes} bytes of WebAssembly memory (at most 2 GiB in all)`);
    return p;
  }

  // Enum names come from the C++ side, read once when first needed.
  let names;
  function enumNames() {
    if (!names) {
      const list = (fn, n) => Array.from({ length: n }, (_, i) => fn(i));
      names = {
        ropeType: list(M.ropeTypeName, 6),
        layout: list(M.ropeLayoutName, 2),
        alibiMode: list(M.alibiModeName, 3),
      };
    }
    return names;
  }

  // ---- heap tensors (the zero-copy path) -----------------------------------------------------------

  const DTYPES = { float32: Float32Array, int32: Int32Array };
  const dtypeOf = (data) => (data instanceof Float32Array ? 'float32' : data instanceof Int32Array ? 'int32' : null);

  function checkShape(name, shape) {
    if (!Array.isArray(shape) || shape.length === 0) fail('SHAPE_MISMATCH', `${name} must be a non-empty array of sizes, got ${showShape(shape)}`);
    let n = 1;
    shape.forEach((d, i) => {
      size(`${name}[${i}]`, d);
      n *= d;
    });
    if (n > 536870911) fail('BAD_SIZE', `${name} ${showShape(shape)} has ${n} elements, more than the 536870911 a buffer can hold here`);
    return n;
  }

  /** A tensor that lives in WebAssembly memory; `.data` is re-derived from the current memory on each access. */
  class HeapTensor {
    #ptr;
    #length;
    #Array;
    constructor(shape, dtype = 'float32') {
      if (!(dtype in DTYPES)) fail('OUT_OF_RANGE', `dtype must be one of 'float32', 'int32', got ${show(dtype)}`);
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
    const dtype = dtypeOf(data);
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

  // ---- marshalling -------------------------------------------------------------------------------

  // The heap buffers of one call, freed when it ends (also when it throws).
  class Frame {
    ptrs = [];
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
    }
    // A scratch buffer that starts on a 4 KiB page. TypedArray.set between it and large JS arrays ran
    // 25-35% faster than at malloc's 8-byte alignment: W2's 64 MiB crossing it took 5.1-5.7 ms instead
    // of 6.9-7.7 (measured with the scratch at page offsets 0, 64, 1024, 2048 and 3072: only 0 was fast).
    allocPage(bytes) {
      const p = this.alloc(bytes + 4096);
      return p && (p + 4095) & ~4095;
    }
  }
  // Large results for JS arrays (sinusoidalTable, ropeForward) pass through WebAssembly memory in
  // slices of about this many floats, each copied out while it is still in cache. Sizes measured on W1
  // and W2: a table slice of 512 KiB (half the L2) beat 256 KiB and 1 MiB by ~8%; a RoPE scratch of
  // 512 KiB (four heads x 256 positions of head_dim 128, beside 128 KiB of cos/sin rows, and four heads
  // is what the rotation kernel does side by side) took W2's out call to 1.8-2.0x a copy of its bytes,
  // against 1.9-2.1x for 128 KiB, 256 KiB and 1 MiB, and 2.4-2.5x for the former 4 MiB slices.
  const TABLE_SLICE_FLOATS = 1 << 17;
  const ROPE_SCRATCH_FLOATS = 1 << 17;
  // Every call opens a frame and closes it in a `finally`. Frames are reused: while none was alive, a
  // full GC collected the Frame object shape and V8 threw away the optimised code of every call that had
  // inlined it ("weak objects" in --trace-deopt). The body is the calling function's own code, not a
  // closure passed in: optimised code of a closure made per call dies with it at each full GC and was
  // recompiled after every one (V8's compiler threads ran 10% of the W2 out call's time beside it).
  // A call made inside another gets its own frame.
  const idleFrames = [];
  const openFrame = () => idleFrames.pop() ?? new Frame();
  function closeFrame(frame) {
    frame.release();
    idleFrames.push(frame);
  }

  // An argument's values as the C++ side gets them: ptr(frame) is a heap tensor's own address, or the
  // address of a copy of JS values made in the call's frame. A class, not an object literal with its own
  // closure: optimised code of a closure made per call is thrown away at every full GC (see openFrame).
  class ArgValues {
    constructor(values, n, shape, heap = null) {
      Object.assign(this, { values, n, shape, heap });
    }
    ptr(frame) {
      return this.heap ? this.heap.byteOffset : frame.copy(this.values);
    }
  }

  // A tensor argument: a HeapTensor, or {data, shape}. dims names each axis (null: any rank).
  function tensorArg(name, t, dims, Ctor = Float32Array) {
    const dtype = Ctor === Int32Array ? 'int32' : 'float32';
    // Made only when a message needs it: joining dims on every call cost ~10% of a small call.
    const expect = () => (dims ? `[${dims.join(', ')}]` : 'of any rank');
    if (t instanceof HeapTensor) {
      if (t.deleted) fail('DELETED', `${name} is a deleted heap tensor`);
      if (t.dtype !== dtype) fail('SHAPE_MISMATCH', `${name} must hold ${dtype} values, got a ${t.dtype} heap tensor`);
      if (dims && t.shape.length !== dims.length) fail('SHAPE_MISMATCH', `${name}.shape must be ${expect()}, got ${showShape(t.shape)}`);
      return new ArgValues(null, t.length, [...t.shape], t);
    }
    if (t === null || typeof t !== 'object' || !('data' in t) || !('shape' in t)) {
      fail('SHAPE_MISMATCH', `${name} must be a tensor {data: ${Ctor.name}, shape: ${expect()}}, got ${show(t)}`);
    }
    const { data, shape } = t;
    if (!Array.isArray(shape) || (dims && shape.length !== dims.length)) {
      fail('SHAPE_MISMATCH', `${name}.shape must be ${dims ? expect() : 'an array of sizes'}, got ${showShape(shape)}`);
    }
    const n = checkShape(`${name}.shape`, shape);
    if (!(data instanceof Ctor)) {
      fail('SHAPE_MISMATCH', `${name}.data must be a ${Ctor.name}, got ${show(data)}` +
        (Array.isArray(data) || ArrayBuffer.isView(data) ? ` (convert it with ${Ctor.name}.from(...))` : ''));
    }
    if (data.length !== n) {
      fail('SHAPE_MISMATCH', `${name}.data has ${data.length} elements but ${name}.shape ${showShape(shape)} needs ${n}`);
    }
    return new ArgValues(data, n, [...shape]);
  }

  // A 1-D argument given as a typed array, a {data, shape} tensor or a heap tensor; absent → null.
  function vectorArg(name, v, Ctor = Float32Array) {
    if (v === undefined || v === null) return null;
    if (v instanceof Ctor) return new ArgValues(v, v.length, [v.length]);
    if (v instanceof HeapTensor || (typeof v === 'object' && 'data' in v)) return tensorArg(name, v, null, Ctor);
    return fail('SHAPE_MISMATCH', `${name} must be a ${Ctor.name}, got ${show(v)}` +
      (Array.isArray(v) || ArrayBuffer.isView(v) ? ` (convert it with ${Ctor.name}.from(...))` : ''));
  }
  const ptrOf = (arg, frame) => (arg ? arg.ptr(frame) : 0);
  const lenOf = (arg) => (arg ? arg.n : 0);

  // keepMask: a Uint8Array or any array of 0/1 (or booleans), copied as bytes.
  function maskArg(v) {
    if (v === undefined || v === null) return null;
    if (v instanceof Uint8Array) return new ArgValues(v, v.length, [v.length]);
    if (!Array.isArray(v) && !(ArrayBuffer.isView(v) && !(v instanceof DataView))) {
      fail('SHAPE_MISMATCH', `keepMask must be a Uint8Array (or any array of 0/1), got ${show(v)}`);
    }
    const bytes = new Uint8Array(v.length);
    for (let i = 0; i < v.length; ++i) {
      const k = v[i];
      if (k === 1 || k === true || k === 1n) bytes[i] = 1;
      else if (!(k === 0 || k === false || k === 0n)) fail('OUT_OF_RANGE', `keepMask entries must be 0 or 1, got ${show(k)} at index ${i}`);
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

  // Where a result goes. `out` may be absent (a fresh owned copy), a typed array of the right length,
  // a {data, shape}, or a heap tensor (written in place, no copy). Returns { ptr, finish() }.
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

  // An output's address for the C++ side (ptr) and finish(), which returns the result: the heap tensor
  // itself, the caller's array filled from the frame, or a fresh copy. A class for the reason ArgValues is.
  class OutputArg {
    constructor(ptr, heap, target, Ctor, n, shape, asTensor) {
      Object.assign(this, { ptr, heap, target, Ctor, n, shape, asTensor });
    }
    finish() {
      if (this.heap) return this.heap;
      const { target, n, shape } = this;
      const view = new this.Ctor(byteHeap().buffer, this.ptr, n);
      const data = target ? (target.set(view), target) : view.slice();
      return this.asTensor ? { data, shape } : data;
    }
  }

  function outputArg(frame, name, out, shape, Ctor = Float32Array, asTensor = true) {
    const n = shape.reduce((a, b) => a * b, 1);
    const dtype = Ctor === Int32Array ? 'int32' : 'float32';
    if (out instanceof HeapTensor) {
      if (out.deleted) fail('DELETED', `${name} is a deleted heap tensor`);
      if (out.dtype !== dtype || out.length !== n) {
        fail('SHAPE_MISMATCH', `${name} must hold ${n} ${dtype} values for shape ${showShape(shape)}, got a ${out.dtype} heap tensor of ${out.length}`);
      }
      return new OutputArg(out.byteOffset, out);
    }
    const target = outputTarget(name, out, n, shape, Ctor);
    return new OutputArg(frame.alloc(n * 4), null, target, Ctor, n, shape, asTensor);
  }

  // A Hugging Face rope_scaling object as float64 slots (NaN = absent); order as ScalingSlot in embind.cpp.
  const SCALING_NUMBERS = ['factor', null, 'attention_factor', 'beta_fast', 'beta_slow', 'mscale', 'mscale_all_dim', null,
    'low_freq_factor', 'high_freq_factor'];
  function scalingArg(scaling) {
    if (scaling === undefined || scaling === null) return null;
    if (typeof scaling !== 'object' || Array.isArray(scaling)) {
      fail('OUT_OF_RANGE', `scaling must be a Hugging Face rope_scaling object like {rope_type: 'linear', factor: 2}, got ${show(scaling)}`);
    }
    const type = scaling.rope_type ?? scaling.type ?? 'default';
    const typeIndex = choice(scaling.rope_type !== undefined ? 'scaling.rope_type' : 'scaling.type', type, enumNames().ropeType);
    const factors = (key) => {
      const v = scaling[key];
      if (v === undefined || v === null) return [];
      if (!Array.isArray(v) && !ArrayBuffer.isView(v)) fail('SHAPE_MISMATCH', `scaling.${key} must be an array of numbers, got ${show(v)}`);
      return Array.from(v, (x, i) => num(`scaling.${key}[${i}]`, x));
    };
    const short = factors('short_factor');
    const long = factors('long_factor');
    const slots = new Float64Array(13 + short.length + long.length).fill(NaN);
    slots[0] = typeIndex;
    SCALING_NUMBERS.forEach((key, i) => {
      if (key) slots[1 + i] = optNum(`scaling.${key}`, scaling[key]);
    });
    slots[2] = optSize('scaling.original_max_position_embeddings', scaling.original_max_position_embeddings);
    slots[8] = bool('scaling.truncate', scaling.truncate, true) ? 1 : 0;
    slots[11] = short.length;
    slots[12] = long.length;
    slots.set(short, 13);
    slots.set(long, 13 + short.length);
    return new ArgValues(slots, slots.length, [slots.length]);
  }

  // Dropout options shared by sinusoidalForward, learnedForward and dropout.
  // p is a float parameter: callers read it first (NON_FINITE leads SPEC §10's order).
  function dropoutArgs(o, p) {
    return {
      p,
      train: bool('train', o.train, false),
      mask: maskArg(o.keepMask),
      seed: int('seed', o.seed, 'OUT_OF_RANGE', 0, 0),
    };
  }

  // ---- functions -----------------------------------------------------------------------------------

  // Where sinusoidalTableSlices' callback copies each slice: one long-lived function reading the call's
  // state here, not a closure made per call (whose optimised code a full GC discards, see openFrame).
  const tableSlices = { target: null, at: 0, d: 0 };
  function copyTableSlice(row, len) {
    const { target, at, d } = tableSlices;
    target.set(heapF32().subarray(at, at + len * d), row * d);
  }

  function sinusoidalTable(maxLen, d, opts) {
    const o = options('options', opts);
    const base = num('base', o.base, 10000);
    size('maxLen', maxLen);
    size('d', d);
    const start = position('start', o.start, 0);
    const count = optSize('count', o.count);
    const rows = Number.isNaN(count) ? Math.max(maxLen - start, 0) : count;
    if (!(o.out instanceof HeapTensor) && rows * d > TABLE_SLICE_FLOATS) {
      // A large table for a JS array is made a slice of rows at a time in WebAssembly memory, each copied
      // out while it is still in cache: the table streams through memory once, not twice.
      const target = outputTarget('out', o.out, rows * d, [rows, d], Float32Array) ?? new Float32Array(rows * d);
      const slice = Math.max(TABLE_SLICE_FLOATS, d);
      const frame = openFrame();
      try {
        const ptr = frame.allocPage(slice * 4);
        Object.assign(tableSlices, { target, at: ptr >> 2, d });
        call(M.sinusoidalTableSlices, maxLen, d, ptr, slice, base, start, count, copyTableSlice);
        return { data: target, shape: [rows, d] };
      } finally {
        tableSlices.target = null;
        closeFrame(frame);
      }
    }
    const frame = openFrame();
    try {
      const out = outputArg(frame, 'out', o.out, [rows, d]);
      call(M.sinusoidalTable, maxLen, d, out.ptr, rows * d, base, start, count);
      return out.finish();
    } finally {
      closeFrame(frame);
    }
  }

  function sinusoidalForward(x, opts) {
    const o = options('options', opts);
    const base = num('base', o.base, 10000);
    const dr = dropoutArgs(o, num('p', o.p, 0.1));
    const maxLen = size('maxLen', o.maxLen, 5000);
    const xa = tensorArg('x', x, ['batch', 'seq', 'd']);
    const offset = position('offset', o.offset, 0);
    const frame = openFrame();
    try {
      const out = outputArg(frame, 'out', o.out, xa.shape);
      const [b, s, d] = xa.shape;
      call(M.sinusoidalForward, xa.ptr(frame), b, s, d, out.ptr, maxLen, offset, base, dr.p, dr.train,
        ptrOf(dr.mask, frame), lenOf(dr.mask), dr.seed);
      return out.finish();
    } finally {
      closeFrame(frame);
    }
  }

  function learnedForward(x, table, opts) {
    const o = options('options', opts);
    const scale = num('scale', o.scale, 1);
    const eps = num('eps', o.eps, 1e-5);
    const dr = dropoutArgs(o, num('p', o.p, 0));
    const useLn = bool('useLn', o.useLn, false);
    const xa = tensorArg('x', x, ['batch', 'seq', 'd']);
    const ta = tensorArg('table', table, ['maxLen', 'd']);
    const gamma = vectorArg('gamma', o.gamma);
    const beta = vectorArg('beta', o.beta);
    const offset = position('offset', o.offset, 0);
    const pos = positionsArg(o.positions, xa.shape[0], xa.shape[1]);
    const frame = openFrame();
    try {
      const out = outputArg(frame, 'out', o.out, xa.shape);
      const [b, s, d] = xa.shape;
      call(M.learnedForward, xa.ptr(frame), b, s, d, ta.ptr(frame), ta.shape[0], ta.shape[1], out.ptr, offset,
        ptrOf(pos, frame), lenOf(pos), scale, useLn, ptrOf(gamma, frame), lenOf(gamma), ptrOf(beta, frame),
        lenOf(beta), eps, dr.p, dr.train, ptrOf(dr.mask, frame), lenOf(dr.mask), dr.seed);
      return out.finish();
    } finally {
      closeFrame(frame);
    }
  }

  function clippedRelativeBias(table, opts) {
    const o = options('options', opts);
    const ta = tensorArg('table', table, ['2*maxDistance+1', 'heads']);
    const numHeads = heads('numHeads', o.numHeads, ta.shape[1]);
    if ((o.maxDistance === undefined || o.maxDistance === null) && ta.shape[0] % 2 === 0) {
      fail('SHAPE_MISMATCH', `table must have 2·maxDistance+1 rows, got ${ta.shape[0]}`);
    }
    const maxDistance = int('maxDistance', o.maxDistance, 'BAD_SIZE', 0, (ta.shape[0] - 1) / 2);
    const qLen = size('qLen', o.qLen);
    const kLen = size('kLen', o.kLen);
    const qOffset = optPosition('qOffset', o.qOffset);
    const frame = openFrame();
    try {
      const out = outputArg(frame, 'out', o.out, [numHeads, qLen, kLen]);
      call(M.clippedRelativeBias, ta.ptr(frame), ta.shape[0], ta.shape[1], numHeads, maxDistance, qLen, kLen,
        qOffset, out.ptr, numHeads * qLen * kLen);
      return out.finish();
    } finally {
      closeFrame(frame);
    }
  }

  function ropeParams(dRot, opts) {
    const o = options('options', opts);
    const base = num('base', o.base, 10000);
    size('dRot', dRot);
    const scaling = scalingArg(o.scaling);
    const mpe = optSize('maxPositionEmbeddings', o.maxPositionEmbeddings);
    const seqLen = optSize('seqLen', o.seqLen);
    const frame = openFrame();
    try {
      const half = Math.floor(dRot / 2);
      const out = frame.alloc(Math.max(half, 1) * 4);
      const attentionFactor = call(M.ropeParams, dRot, base, ptrOf(scaling, frame), mpe, seqLen, out);
      return { invFreq: new Float32Array(byteHeap().buffer, out, half).slice(), attentionFactor };
    } finally {
      closeFrame(frame);
    }
  }

  // The call state behind ropeForwardThrough's callbacks, which move slices of (batch, head) rows
  // [first, first + count) x positions [s0, s0 + rows) between the caller's arrays and the scratch.
  const ropeSlices = { source: null, target: null, at: 0, seq: 0, d: 0 };
  function loadRopeSlice(first, count, s0, rows) {
    const { source, at, seq, d } = ropeSlices, heap = heapF32(), chunk = rows * d;
    for (let i = 0; i < count; i++) {
      const from = ((first + i) * seq + s0) * d;
      heap.set(source.subarray(from, from + chunk), at + i * chunk);
    }
  }
  function storeRopeSlice(first, count, s0, rows) {
    const { target, at, seq, d } = ropeSlices, heap = heapF32(), chunk = rows * d;
    for (let i = 0; i < count; i++) target.set(heap.subarray(at + i * chunk, at + (i + 1) * chunk), ((first + i) * seq + s0) * d);
  }

  function ropeForward(x, opts) {
    const o = options('options', opts);
    const base = num('base', o.base, 10000);
    const dRot = optSize('dRot', o.dRot);
    const xa = tensorArg('x', x, ['batch', 'heads', 'seq', 'headDim']);
    const layout = choice('layout', o.layout, enumNames().layout, 'half');
    const pos = positionsArg(o.positions, xa.shape[0], xa.shape[2]);
    const offset = position('offset', o.offset, 0);
    const inverse = bool('inverse', o.inverse, false);
    const scaling = scalingArg(o.scaling);
    const mpe = optSize('maxPositionEmbeddings', o.maxPositionEmbeddings);
    const seqLen = optSize('seqLen', o.seqLen);
    const [b, h, s, d] = xa.shape;
    if (!xa.heap && !pos && !(o.out instanceof HeapTensor) && xa.n > ROPE_SCRATCH_FLOATS) {
      // A large array tensor passes through a small scratch in WebAssembly memory: the C++ side asks for a
      // few heads x 256 positions at a time (loadRopeSlice), rotates them there with that block's cos/sin
      // rows, and hands them back (storeRopeSlice). Each value crosses each way while it is in cache; with
      // a whole-tensor copy in, the rotation and a copy out, it streamed through memory three times.
      const target = outputTarget('out', o.out, xa.n, xa.shape, Float32Array) ?? new Float32Array(xa.n);
      const frame = openFrame();
      try {
        const ptr = frame.allocPage(ROPE_SCRATCH_FLOATS * 4);
        Object.assign(ropeSlices, { source: x.data, target, at: ptr >> 2, seq: s, d });
        call(M.ropeForwardThrough, b, h, s, d, ptr, ROPE_SCRATCH_FLOATS, dRot, base, layout, offset, inverse,
          ptrOf(scaling, frame), mpe, seqLen, loadRopeSlice, storeRopeSlice);
        return { data: target, shape: xa.shape };
      } finally {
        ropeSlices.source = ropeSlices.target = null;
        closeFrame(frame);
      }
    }
    const frame = openFrame();
    try {
      const out = outputArg(frame, 'out', o.out, xa.shape);
      call(M.ropeForward, xa.ptr(frame), b, h, s, d, out.ptr, dRot, base, layout, ptrOf(pos, frame), lenOf(pos),
        offset, inverse, ptrOf(scaling, frame), mpe, seqLen);
      return out.finish();
    } finally {
      closeFrame(frame);
    }
  }

  function xposApply(x, opts) {
    const o = options('options', opts);
    const base = num('base', o.base, 10000);
    const gamma = num('gamma', o.gamma, 0.4);
    const scaleBase = num('scaleBase', o.scaleBase, 512);
    const center = num('center', o.center, 0);
    const xa = tensorArg('x', x, ['batch', 'heads', 'seq', 'headDim']);
    const role = choice('role', o.role, ['q', 'k'], 'q');
    const layout = choice('layout', o.layout, enumNames().layout, 'interleaved');
    const pos = positionsArg(o.positions, xa.shape[0], xa.shape[2]);
    const offset = position('offset', o.offset, 0);
    const frame = openFrame();
    try {
      const out = outputArg(frame, 'out', o.out, xa.shape);
      const [b, h, s, d] = xa.shape;
      call(M.xposApply, xa.ptr(frame), b, h, s, d, out.ptr, role === 1, ptrOf(pos, frame), lenOf(pos), offset, base,
        gamma, scaleBase, center, layout);
      return out.finish();
    } finally {
      closeFrame(frame);
    }
  }

  function alibiSlopes(numHeads, opts) {
    const o = options('options', opts);
    heads('numHeads', numHeads);
    const frame = openFrame();
    try {
      const out = outputArg(frame, 'out', o.out, [numHeads], Float32Array, false);
      call(M.alibiSlopes, numHeads, out.ptr, numHeads);
      return out.finish();
    } finally {
      closeFrame(frame);
    }
  }

  function alibiBias(numHeads, qLen, kLen, opts) {
    const o = options('options', opts);
    heads('numHeads', numHeads);
    size('qLen', qLen);
    size('kLen', kLen);
    const qOffset = optPosition('qOffset', o.qOffset);
    const mode = choice('mode', o.mode, enumNames().alibiMode, 'causal');
    const frame = openFrame();
    try {
      const out = outputArg(frame, 'out', o.out, [numHeads, qLen, kLen]);
      call(M.alibiBias, numHeads, qLen, kLen, qOffset, mode, out.ptr, numHeads * qLen * kLen);
      return out.finish();
    } finally {
      closeFrame(frame);
    }
  }

  function t5Buckets(relativePositions, opts) {
    const o = options('options', opts);
    const plain = relativePositions instanceof Int32Array;
    const rp = plain
      ? { n: relativePositions.length, shape: [relativePositions.length], ptr: (f) => f.copy(relativePositions) }
      : tensorArg('relativePositions', relativePositions, null, Int32Array);
    const bidirectional = bool('bidirectional', o.bidirectional, true);
    const numBuckets = size('numBuckets', o.numBuckets, 32);
    const maxDistance = size('maxDistance', o.maxDistance, 128);
    const frame = openFrame();
    try {
      const out = outputArg(frame, 'out', o.out, rp.shape, Int32Array, !plain);
      if (rp.n > 0) call(M.t5Buckets, rp.ptr(frame), rp.n, out.ptr, bidirectional, numBuckets, maxDistance);
      return out.finish();
    } finally {
      closeFrame(frame);
    }
  }

  function t5Bias(table, opts) {
    const o = options('options', opts);
    const ta = tensorArg('table', table, ['numBuckets', 'heads']);
    const numHeads = heads('numHeads', o.numHeads, ta.shape[1]);
    const numBuckets = size('numBuckets', o.numBuckets, ta.shape[0]);
    const qLen = size('qLen', o.qLen);
    const kLen = size('kLen', o.kLen);
    const qOffset = optPosition('qOffset', o.qOffset);
    const bidirectional = bool('bidirectional', o.bidirectional, true);
    // numBuckets is the table's row count; a different explicit one would silently index another table.
    if (numBuckets !== ta.shape[0]) fail('SHAPE_MISMATCH', `table must have numBuckets = ${numBuckets} rows, got ${ta.shape[0]}`);
    const maxDistance = size('maxDistance', o.maxDistance, 128);
    const frame = openFrame();
    try {
      const out = outputArg(frame, 'out', o.out, [numHeads, qLen, kLen]);
      call(M.t5Bias, ta.ptr(frame), ta.shape[0], ta.shape[1], numHeads, qLen, kLen, qOffset, bidirectional,
        maxDistance, out.ptr, numHeads * qLen * kLen);
      return out.finish();
    } finally {
      closeFrame(frame);
    }
  }

  // A shape must equal want, the sizes q implies.
  function agree(what, got, want) {
    for (let i = 0; i < want.length; i++) {
      if (got[i] !== want[i]) fail('SHAPE_MISMATCH', `${what} must be ${showShape(want)} to match q, got ${showShape(got)}`);
    }
  }

  function sdpa(q, k, v, opts) {
    const o = options('options', opts);
    const scale = optNum('scale', o.scale);
    if (scale <= 0) fail('OUT_OF_RANGE', `scale must be > 0, got ${scale}`);
    const qa = tensorArg('q', q, ['batch', 'heads', 'qLen', 'headDim']);
    const ka = tensorArg('k', k, ['batch', 'heads', 'kLen', 'headDim']);
    const va = tensorArg('v', v, ['batch', 'heads', 'kLen', 'vDim']);
    const [B, H, Q, D] = qa.shape;
    const [, , K] = ka.shape;
    const Dv = va.shape[3];
    agree('k.shape', ka.shape, [B, H, K, D]);
    agree('v.shape', va.shape.slice(0, 3), [B, H, K]);
    let bias = null;
    if (o.bias !== undefined && o.bias !== null) {
      const rank = o.bias instanceof HeapTensor || Array.isArray(o.bias?.shape) ? o.bias.shape.length : 0;
      bias = tensorArg('bias', o.bias, rank === 4 ? ['batch', 'heads', 'qLen', 'kLen'] : ['heads', 'qLen', 'kLen']);
      agree('bias.shape', bias.shape, rank === 4 ? [B, H, Q, K] : [H, Q, K]);
    }
    let alibiMode = -1;
    let slopes = null;
    if (o.alibi === true) alibiMode = 0;
    else if (typeof o.alibi === 'string') alibiMode = choice('alibi', o.alibi, enumNames().alibiMode);
    else if (o.alibi !== undefined && o.alibi !== null && o.alibi !== false) slopes = vectorArg('alibi', o.alibi);
    const causal = bool('causal', o.causal, false);
    const qOffset = optPosition('qOffset', o.qOffset);
    const returnProbs = bool('returnProbs', o.returnProbs, false);
    const frame = openFrame();
    try {
      const out = outputArg(frame, 'out', o.out, [B, H, Q, Dv]);
      const probs = returnProbs ? outputArg(frame, 'probsOut', o.probsOut, [B, H, Q, K]) : null;
      call(M.sdpa, qa.ptr(frame), ka.ptr(frame), va.ptr(frame), B, H, Q, K, D, Dv, out.ptr, probs ? probs.ptr : 0,
        ptrOf(bias, frame), lenOf(bias), bias ? bias.shape.length === 4 : false, alibiMode, ptrOf(slopes, frame),
        lenOf(slopes), causal, qOffset, scale);
      return probs ? { out: out.finish(), probs: probs.finish() } : { out: out.finish() };
    } finally {
      closeFrame(frame);
    }
  }

  function dropout(x, opts) {
    const o = options('options', opts);
    const dr = dropoutArgs(o, num('p', o.p, 0));
    const xa = tensorArg('x', x, null);
    const frame = openFrame();
    try {
      const out = outputArg(frame, 'out', o.out, xa.shape);
      call(M.dropout, xa.ptr(frame), xa.n, out.ptr, dr.p, dr.train, ptrOf(dr.mask, frame), lenOf(dr.mask), dr.seed);
      return out.finish();
    } finally {
      closeFrame(frame);
    }
  }

  // ---- the seed's modules --------------------------------------------------------------------------

  const copyF32 = (ptr, n) => new Float32Array(byteHeap().buffer, ptr, n).slice();
  const copyF64AsF32 = (ptr, n) => Float32Array.from(new Float64Array(byteHeap().buffer, ptr, n));

  // A state entry that is derived from the config (not learned): loading checks it matches.
  function checkDerived(cls, key, entry, expected) {
    const got = tensorArg(`state.${key}`, entry, null);
    if (got.shape.join() !== expected.shape.join()) {
      fail('SHAPE_MISMATCH', `state.${key} must have shape ${showShape(expected.shape)} for this ${cls}, got ${showShape(got.shape)}`);
    }
    const data = entry.data;
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

  // A [numHeads, qLen, kLen] bias from a module method taking (qLen, kLen, qOffset, out, outLength).
  function moduleBias(h, method, numHeads, qLen, kLen, opts) {
    const o = options('options', opts);
    size('qLen', qLen);
    size('kLen', kLen);
    const qOffset = optPosition('qOffset', o.qOffset);
    const frame = openFrame();
    try {
      const out = outputArg(frame, 'out', o.out, [numHeads, qLen, kLen]);
      callOn(h, method, qLen, kLen, qOffset, out.ptr, numHeads * qLen * kLen);
      return out.finish();
    } finally {
      closeFrame(frame);
    }
  }

  class Module {
    #handle;
    #name;
    constructor(name, make) {
      this.#name = name;
      this.#handle = call(make);
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
      if (h.train) h.train(on);
      this.training = on;
      return this;
    }
    eval() {
      return this.train(false);
    }
    /** Frees the module's WebAssembly memory; calling it again does nothing. */
    delete() {
      if (this.#handle) this.#handle.delete();
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

  class SinusoidalPositionalEncoding extends Module {
    constructor(config) {
      const c = options('config', config);
      const dim = size('dim', c.dim);
      const maxLen = size('maxLen', c.maxLen, 5000);
      const p = num('dropout', c.dropout, 0.1);
      const base = num('base', c.base, 10000);
      const seed = int('seed', c.seed, 'OUT_OF_RANGE', 0, 0);
      super('SinusoidalPositionalEncoding', () => new M.SinusoidalPositionalEncoding(dim, maxLen, p, base, seed));
      Object.assign(this, { dim, maxLen, dropout: p, base });
    }
    /** x: [batch, seq, dim] → x + pe[offset … offset+seq−1], then dropout in train mode. */
    forward(x, opts) {
      const o = options('options', opts);
      const h = this.handle;
      const xa = tensorArg('x', x, ['batch', 'seq', 'dim']);
      if (xa.shape[2] !== this.dim) fail('SHAPE_MISMATCH', `x.shape[2] must be dim = ${this.dim}, got ${xa.shape[2]}`);
      const offset = position('offset', o.offset, 0);
      const frame = openFrame();
      try {
        const out = outputArg(frame, 'out', o.out, xa.shape);
        callOn(h, 'forward', xa.ptr(frame), xa.shape[0], xa.shape[1], out.ptr, offset);
        return out.finish();
      } finally {
        closeFrame(frame);
      }
    }
    stateDict() {
      return { pe: { data: copyF32(this.handle.table(), this.maxLen * this.dim), shape: [this.maxLen, this.dim] } };
    }
  }

  const LEARNED_STATE = ['table', 'gamma', 'beta', 'relativeTable'];
  class LearnedPositionalEmbedding extends Module {
    constructor(config) {
      const c = options('config', config);
      const dim = size('dim', c.dim);
      const maxLen = size('maxLen', c.maxLen, 512);
      const p = num('dropout', c.dropout, 0.1);
      const scale = num('scale', c.scale, 1);
      const layerNorm = bool('layerNorm', c.layerNorm, false);
      const relative = bool('relative', c.relative, false);
      const numHeads = heads('numHeads', c.numHeads, 8);
      const maxDistance = int('maxDistance', c.maxDistance, 'BAD_SIZE', 0, 16);
      const seed = int('seed', c.seed, 'OUT_OF_RANGE', 0, 0);
      super('LearnedPositionalEmbedding', () =>
        new M.LearnedPositionalEmbedding(dim, maxLen, p, scale, layerNorm, relative, numHeads, maxDistance, seed));
      Object.assign(this, { dim, maxLen, dropout: p, scale, layerNorm, relative, numHeads, maxDistance });
    }
    /** x: [batch, seq, dim] → x + scale·table[positions], LayerNorm if configured, dropout in train mode. */
    forward(x, opts) {
      const o = options('options', opts);
      const h = this.handle;
      const xa = tensorArg('x', x, ['batch', 'seq', 'dim']);
      if (xa.shape[2] !== this.dim) fail('SHAPE_MISMATCH', `x.shape[2] must be dim = ${this.dim}, got ${xa.shape[2]}`);
      const offset = position('offset', o.offset, 0);
      const pos = positionsArg(o.positions, xa.shape[0], xa.shape[1]);
      const frame = openFrame();
      try {
        const out = outputArg(frame, 'out', o.out, xa.shape);
        callOn(h, 'forward', xa.ptr(frame), xa.shape[0], xa.shape[1], out.ptr, offset, ptrOf(pos, frame), lenOf(pos));
        return out.finish();
      } finally {
        closeFrame(frame);
      }
    }
    /** The learned clipped relative bias [numHeads, qLen, kLen] (only with relative: true). */
    relativeBias(qLen, kLen, opts) {
      const h = this.handle;
      return moduleBias(h, 'relativeBias', this.numHeads, qLen, kLen, opts);
    }
    #shapes() {
      return {
        table: [this.maxLen, this.dim],
        gamma: [this.dim],
        beta: [this.dim],
        relativeTable: [2 * this.maxDistance + 1, this.numHeads],
      };
    }
    /** { table, gamma?, beta?, relativeTable? }: owned copies of the parameters this config has. */
    stateDict() {
      const h = this.handle;
      const shapes = this.#shapes();
      const state = {};
      LEARNED_STATE.forEach((key, i) => {
        const n = h.stateSize(i);
        if (n > 0) state[key] = { data: copyF32(h.statePtr(i), n), shape: shapes[key] };
      });
      return state;
    }
    /** Copies every parameter of this config from `state` (shapes must match). */
    loadStateDict(state) {
      const h = this.handle;
      const shapes = this.#shapes();
      const entries = [];
      LEARNED_STATE.forEach((key, i) => {
        if (h.stateSize(i) === 0) return;
        const t = tensorArg(`state.${key}`, stateEntry(state, key, 'LearnedPositionalEmbedding'), null);
        if (t.shape.join() !== shapes[key].join()) {
          fail('SHAPE_MISMATCH', `state.${key} must have shape ${showShape(shapes[key])}, got ${showShape(t.shape)}`);
        }
        const data = state[key].data;
        const bad = data.findIndex((v) => !Number.isFinite(v));
        if (bad >= 0) fail('NON_FINITE', `state.${key}[${bad}] must be finite, got ${data[bad]}`);
        entries.push([i, data]);
      });
      for (const [i, data] of entries) heapF32().set(data, h.statePtr(i) >> 2);
      return this;
    }
  }

  class RotaryPositionalEmbedding extends Module {
    constructor(config) {
      const c = options('config', config);
      const dim = size('dim', c.dim);
      const maxLen = size('maxLen', c.maxLen, 2048);
      const base = num('base', c.base, 10000);
      const layout = choice('layout', c.layout, enumNames().layout, 'half');
      const scaling = scalingArg(c.scaling);
      const mpe = optSize('maxPositionEmbeddings', c.maxPositionEmbeddings);
      super('RotaryPositionalEmbedding', () => {
        const frame = openFrame();
        try {
          return new M.RotaryPositionalEmbedding(dim, maxLen, base, layout, ptrOf(scaling, frame), mpe);
        } finally {
          closeFrame(frame);
        }
      });
      Object.assign(this, { dim, maxLen, base, layout: enumNames().layout[layout] });
    }
    /** Positions the cos/sin cache covers; it doubles when a forward reaches past it. */
    get cachedLen() {
      return this.handle.cachedLen();
    }
    /** q, k: [batch, heads, seq, dim] → [q rotated, k rotated]; keys sit at offset + j, queries at the last q.seq of those. */
    forward(q, k, opts) {
      const o = options('options', opts);
      const h = this.handle;
      const qa = tensorArg('q', q, ['batch', 'heads', 'seq', 'dim']);
      const ka = tensorArg('k', k, ['batch', 'heads', 'seq', 'dim']);
      for (const [name, a] of [['q', qa], ['k', ka]]) {
        if (a.shape[3] !== this.dim) fail('SHAPE_MISMATCH', `${name}.shape[3] must be dim = ${this.dim}, got ${a.shape[3]}`);
      }
      const offset = position('offset', o.offset, 0);
      const pos = positionsArg(o.positions);
      const frame = openFrame();
      try {
        const qOut = outputArg(frame, 'qOut', o.qOut, qa.shape);
        const kOut = outputArg(frame, 'kOut', o.kOut, ka.shape);
        const [qb, qh, qs] = qa.shape;
        const [kb, kh, ks] = ka.shape;
        callOn(h, 'forward', qa.ptr(frame), qb, qh, qs, qOut.ptr, ka.ptr(frame), kb, kh, ks, kOut.ptr, offset,
          ptrOf(pos, frame), lenOf(pos));
        return [qOut.finish(), kOut.finish()];
      } finally {
        closeFrame(frame);
      }
    }
    /** { invFreq: [dim/2] } — computed from the config (buffers, not parameters). */
    stateDict() {
      const half = this.dim / 2;
      return { invFreq: { data: copyF64AsF32(this.handle.invFreq(), half), shape: [half] } };
    }
  }

  class ALiBiPositionalEncoding extends Module {
    constructor(config) {
      const c = options('config', config);
      const numHeads = heads('numHeads', c.numHeads);
      const maxLen = size('maxLen', c.maxLen, 512);
      super('ALiBiPositionalEncoding', () => new M.ALiBiPositionalEncoding(numHeads, maxLen));
      Object.assign(this, { numHeads, maxLen });
    }
    /** The causal ALiBi bias [numHeads, qLen, kLen] (queries at the last positions unless qOffset). */
    bias(qLen, kLen, opts) {
      const h = this.handle;
      return moduleBias(h, 'bias', this.numHeads, qLen, kLen, opts);
    }
    /** scores: [batch, numHeads, qLen, kLen] → scores + bias(qLen, kLen). */
    forward(scores, opts) {
      const o = options('options', opts);
      const h = this.handle;
      const sa = tensorArg('scores', scores, ['batch', 'heads', 'qLen', 'kLen']);
      if (sa.shape[1] !== this.numHeads) fail('SHAPE_MISMATCH', `scores.shape[1] must be numHeads = ${this.numHeads}, got ${sa.shape[1]}`);
      const qOffset = optPosition('qOffset', o.qOffset);
      const frame = openFrame();
      try {
        const out = outputArg(frame, 'out', o.out, sa.shape);
        callOn(h, 'forward', sa.ptr(frame), sa.shape[0], sa.shape[2], sa.shape[3], out.ptr, qOffset);
        return out.finish();
      } finally {
        closeFrame(frame);
      }
    }
    /** { slopes: [numHeads] } — computed from numHeads. */
    stateDict() {
      return { slopes: { data: copyF64AsF32(this.handle.slopes(), this.numHeads), shape: [this.numHeads] } };
    }
  }

  // ---- introspection -----------------------------------------------------------------------------

  /** Heap size, bytes in use by malloc, malloc's peak footprint, and the stack pointer: for leak checks. */
  function memoryStats() {
    return { heapBytes: byteHeap().length, inUse: M.heapInUse(), peakBytes: M.heapPeak(), stackPointer: M.stackSave() };
  }

  return {
    features: Object.freeze({ simd: M.simdBuild(), version: M.version(), arch: M.arch() }),
    sinusoidalTable,
    sinusoidalForward,
    learnedForward,
    clippedRelativeBias,
    ropeParams,
    ropeForward,
    xposApply,
    alibiSlopes,
    alibiBias,
    t5Buckets,
    t5Bias,
    sdpa,
    dropout,
    SinusoidalPositionalEncoding,
    LearnedPositionalEmbedding,
    RotaryPositionalEmbedding,
    ALiBiPositionalEncoding,
    alloc,
    tensor,
    HeapTensor,
    memoryStats,
    PosencError,
  };
}

// ---- loading ---------------------------------------------------------------------------------------

// The smallest module using a SIMD128 instruction: (func (result v128) i32.const 0 i32x4.splat).
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 8, 1, 6, 0, 65, 0,
  253, 17, 11]);

/** Whether this engine runs WebAssembly SIMD128. */
export function simdSupported() {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/**
 * Builds load(): resolves the SIMD choice, gets the wasm bytes from `readWasm` (Node) or lets the glue fetch
 * them next to itself (browsers, bundlers), and caches one instance per choice.
 * @param {(file: string, options: object) => Promise<Uint8Array|undefined>} readWasm
 */
export function makeLoad(readWasm) {
  const cache = new Map();
  return function load(opts) {
    let o;
    try {
      o = options('load options', opts);
      if (!(o.simd === undefined || o.simd === 'auto' || o.simd === true || o.simd === false)) {
        fail('OUT_OF_RANGE', `simd must be 'auto', true or false, got ${show(o.simd)}`);
      }
    } catch (e) {
      return Promise.reject(e);
    }
    if (typeof WebAssembly !== 'object') {
      return Promise.reject(new PosencError('LOAD_FAILED', 'posenc needs WebAssembly, which this JavaScript engine lacks'));
    }
    const simd = o.simd === undefined || o.simd === 'auto' ? simdSupported() : o.simd;
    const key = o.wasmBinary ? null : `${simd}|${o.wasmUrl ?? ''}`;
    if (key && cache.has(key)) return cache.get(key);
    const pending = instantiate(simd, o, readWasm);
    if (key) {
      cache.set(key, pending);
      pending.catch(() => cache.delete(key));
    }
    return pending;
  };
}

async function instantiate(simd, o, readWasm) {
  const file = simd ? 'posenc_simd.wasm' : 'posenc_scalar.wasm';
  const where = o.wasmBinary ? 'the given wasmBinary' : o.wasmUrl ? String(o.wasmUrl) : `dist/${file} next to the package's .js`;
  try {
    // Static specifiers, so bundlers include both builds and their .wasm files.
    const glue = simd ? await import('../dist/posenc_simd.js') : await import('../dist/posenc_scalar.js');
    const wasmBinary = o.wasmBinary ?? (await readWasm(file, o));
    const settings = { print: () => {}, printErr: () => {} };
    if (wasmBinary) settings.wasmBinary = wasmBinary;
    else if (o.wasmUrl) settings.locateFile = () => String(o.wasmUrl);
    const M = await glue.default(settings);
    return createApi(M);
  } catch (e) {
    if (e instanceof PosencError) throw e;
    throw new PosencError('LOAD_FAILED',
      `posenc could not load its WebAssembly module (${simd ? 'SIMD' : 'scalar'} build) from ${where}: ${e?.message ?? e}. ` +
      'Serve the package\'s dist/*.wasm files with the application/wasm type, or pass load({ wasmUrl }) pointing at ' +
      `${file}, or load({ wasmBinary }) with its bytes; load({ simd: false }) picks the scalar build.`, { cause: e });
  }
}
