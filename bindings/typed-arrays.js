// What posenc believes about a caller's typed array: only what the built-in TypedArray getters say, read
// once. A subclass can override `length`, `set` or `constructor`, and a Proxy can answer anything; the
// intrinsic getters, taken here before any user code runs, see the real buffer, offset and length.

const TypedArrayPrototype = Object.getPrototypeOf(Int8Array.prototype);
const getter = (key) => Object.getOwnPropertyDescriptor(TypedArrayPrototype, key).get;
const tagOf = getter(Symbol.toStringTag);
const bufferOf = getter('buffer');
const byteOffsetOf = getter('byteOffset');
const lengthOf = getter('length');

const CONSTRUCTORS = {
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array,
  Float64Array, BigInt64Array, BigUint64Array,
};

/** The built-in type name of a typed array ('Float32Array', also for subclasses), else undefined (Proxies too). */
export function kindOf(v) {
  return v !== null && typeof v === 'object' ? tagOf.call(v) : undefined;
}

/**
 * A plain view of the same memory as the typed array `v` (whose kind is known), made from the built-in
 * getters: its length is the real one, its methods are the built-in ones. null when `v` is detached (its
 * buffer was transferred, or it viewed WebAssembly memory that has grown since).
 */
export function trustedView(v) {
  const Ctor = CONSTRUCTORS[tagOf.call(v)];
  try {
    return new Ctor(bufferOf.call(v), byteOffsetOf.call(v), lengthOf.call(v));
  } catch {
    return null; // a detached buffer cannot be viewed
  }
}
