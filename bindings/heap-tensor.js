// Heap tensors, the zero-copy path: tensors that live in WebAssembly memory, and how a caller's typed
// array is judged (its shape read once, its view trusted, where it lies in memory). Used by core.js.
import { disposeSymbol, fail, fitsMemory, MAX_ELEMENTS, show, showShape, size } from './checks.js';
import { kindOf, trustedView } from './typed-arrays.js';

// Where a typed array lies in the WebAssembly memory of module M (a byte address), or -1 when it is ordinary
// JS memory. Such a view is passed by address, never copied through its JS view: the address stays right when
// memory grows during the call, the view does not.
export const addressIn = (M, view) => (view.buffer === M.HEAPU8.buffer ? view.byteOffset : -1);

/**
 * @param {object} M the module object from the Emscripten factory
 * @param {(bytes: number) => number} malloc allocates WebAssembly memory or throws a coded error
 */
export function createHeapTensors(M, malloc) {
  const byteHeap = () => M.HEAPU8; // re-read after any call that may grow memory
  const convertHint = (v, Ctor) => (Array.isArray(v) || ArrayBuffer.isView(v) ? ` (convert it with ${Ctor.name}.from(...))` : '');

  const DTYPES = { float32: Float32Array, int32: Int32Array };

  // A copy of a shape (each size read once), checked: sizes, and the element count within the limit.
  function shapeOf(name, shape) {
    if (!Array.isArray(shape) || shape.length === 0) fail('SHAPE_MISMATCH', `${name} must be a non-empty array of sizes, got ${showShape(shape)}`);
    const dims = Array.from(shape);
    let n = 1;
    for (let i = 0; i < dims.length; i++) n *= size(`${name}[${i}]`, dims[i]);
    if (n > MAX_ELEMENTS) fitsMemory(`${name} ${showShape(dims)}`, n);
    return dims;
  }
  const countOf = (dims) => dims.reduce((a, b) => a * b, 1);


  // A caller's typed array as a trusted view (typed-arrays.js): the type named, not detached.
  function viewOf(what, data, Ctor) {
    if (kindOf(data) !== Ctor.name) fail('SHAPE_MISMATCH', `${what} must be a ${Ctor.name}, got ${show(data)}` + convertHint(data, Ctor));
    const view = trustedView(data);
    if (!view) {
      fail('SHAPE_MISMATCH', `${what} is a detached ${Ctor.name} (its buffer was transferred, or it viewed WebAssembly memory ` +
        'that has grown since): read a heap tensor\'s .data again right before the call');
    }
    return view;
  }

  /** A tensor that lives in WebAssembly memory; `.data` is re-derived from the current memory on each access. */
  class HeapTensor {
    #ptr;
    #length;
    #Array;
    constructor(shape, dtype = 'float32') {
      if (typeof dtype !== 'string' || !Object.hasOwn(DTYPES, dtype)) fail('OUT_OF_RANGE', `dtype must be one of 'float32', 'int32', got ${show(dtype)}`);
      const dims = shapeOf('shape', shape);
      this.#length = countOf(dims);
      this.#Array = DTYPES[dtype];
      this.#ptr = malloc(this.#length * 4);
      this.shape = Object.freeze(dims);
      this.dtype = dtype;
      byteHeap().fill(0, this.#ptr, this.#ptr + this.#length * 4);
    }
    /** Whether `v` is a heap tensor itself (not a Proxy of one or a look-alike). */
    static is(v) {
      return typeof v === 'object' && v !== null && #ptr in v;
    }
    // The methods below, called on a Proxy or another object, give a coded error rather than a TypeError.
    static #own(t) {
      if (!HeapTensor.is(t)) fail('SHAPE_MISMATCH', `a HeapTensor member was used on ${show(t)} (a Proxy of a heap tensor?); pass the heap tensor itself`);
      return t;
    }
    static #alive(t) {
      if (HeapTensor.#own(t).#ptr === null) fail('DELETED', 'this heap tensor was deleted; allocate a new one with pe.alloc() or pe.tensor()');
      return t.#ptr;
    }
    /** Address in WebAssembly memory (bytes). */
    get byteOffset() {
      return HeapTensor.#alive(this);
    }
    get length() {
      return HeapTensor.#own(this).#length;
    }
    get deleted() {
      return HeapTensor.#own(this).#ptr === null;
    }
    /** A view of the current memory: valid until the next posenc call that may grow memory; re-read it then. */
    get data() {
      const ptr = HeapTensor.#alive(this);
      return new this.#Array(byteHeap().buffer, ptr, this.#length);
    }
    /** An owned copy of the values. */
    read() {
      return this.data.slice();
    }
    /** Copies `values` (same type and length) into the tensor. */
    write(values) {
      HeapTensor.#own(this);
      const view = kindOf(values) === this.#Array.name ? trustedView(values) : null;
      if (!view || view.length !== this.#length) {
        fail('SHAPE_MISMATCH', `write() needs a ${this.#Array.name}(${this.#length}), got ${show(values)}`);
      }
      this.data.set(view);
      return this;
    }
    delete() {
      if (HeapTensor.#own(this).#ptr !== null && this.#ptr !== 0) M._free(this.#ptr);
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
    const kind = kindOf(data);
    const dtype = kind === 'Float32Array' ? 'float32' : kind === 'Int32Array' ? 'int32' : null;
    if (!dtype) fail('SHAPE_MISMATCH', `data must be a Float32Array or Int32Array, got ${show(data)}`);
    const view = viewOf('data', data, DTYPES[dtype]);
    const dims = shapeOf('shape', shape ?? [view.length]);
    if (countOf(dims) !== view.length) fail('SHAPE_MISMATCH', `data has ${view.length} elements but shape ${showShape(dims)} needs ${countOf(dims)}`);
    const at = addressIn(M, view);
    const t = new HeapTensor(dims, dtype); // may grow memory: a view of WebAssembly memory is re-derived below
    t.data.set(at < 0 ? view : new DTYPES[dtype](byteHeap().buffer, at, view.length));
    return t;
  }

  return { HeapTensor, alloc, tensor, shapeOf, countOf, viewOf, convertHint, DTYPES };
}
