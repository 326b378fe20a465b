// What every JS-side check shares: the coded error, how a value reads in a message, and the checks of
// scalar arguments and options objects. No WebAssembly here: load.js uses it before a module exists.
import { kindOf, trustedView } from './typed-arrays.js';

const CODES = ['NON_FINITE', 'BAD_HEADS', 'BAD_SIZE', 'ODD_DIM', 'ROT_DIM', 'OUT_OF_RANGE', 'SHAPE_MISMATCH', 'BAD_POSITION'];
const MAX_INT32 = 2147483647;
// Sizes and positions cross into wasm as 32-bit integers at most (indices are 32-bit there).
const MAX_POSITION = MAX_INT32;
/**
 * The one size limit: no tensor, result, table or cache may have more elements than this (2^28 float32
 * or int32 values, 1 GiB). WebAssembly memory is 32-bit and grows to 2 GiB at most, so this leaves room
 * for an input and its result side by side. Checked before anything is allocated, in JS and wasm alike.
 */
export const MAX_ELEMENTS = 2 ** 28;
export const disposeSymbol = Symbol.dispose ?? Symbol.for('nodejs.dispose');

/** Every error posenc throws: `.code` is one of CODES, or LOAD_FAILED / DELETED / INTERNAL. */
export class PosencError extends Error {
  constructor(code, message, options) {
    super(message, options);
    this.name = 'PosencError';
    this.code = code;
  }
}
PosencError.codes = CODES;

export const fail = (code, message) => {
  throw new PosencError(code, message);
};

// How a value reads in a message: 7, NaN, 'foo', an Array, a Float64Array(3), undefined.
export function show(v) {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'number' || typeof v === 'boolean' || v == null || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `an Array(${v.length})`;
  if (kindOf(v)) {
    const view = trustedView(v); // the real type and length, whatever a subclass claims
    return view ? `a ${kindOf(v)}(${view.length})` : `a detached ${kindOf(v)}`;
  }
  if (ArrayBuffer.isView(v)) return 'a DataView';
  if (typeof v === 'function') return 'a function';
  return 'an object';
}
// A shape must equal want: SHAPE_MISMATCH naming what, the shape wanted (and why) and the one given.
export function sameShape(what, got, want, because = '') {
  if (got.length !== want.length || got.some((g, i) => g !== want[i])) {
    fail('SHAPE_MISMATCH', `${what} must be ${showShape(want)}${because}, got ${showShape(got)}`);
  }
}
export const showShape = (shape) => (Array.isArray(shape) ? `[${shape.map(show).join(', ')}]` : show(shape));

// ---- options objects -------------------------------------------------------------------------------

// An options object whose keys must all be in `known` (a typo is an error, not a silently ignored key).
// `what` names the object in messages ('options', 'config'); `fn` the function it was passed to.
export function options(o, known, fn, what = 'options') {
  if (o === undefined || o === null) return {};
  if (typeof o !== 'object' || Array.isArray(o) || ArrayBuffer.isView(o)) {
    fail('OUT_OF_RANGE', `${what} must be an options object, got ${show(o)}`);
  }
  for (const key in o) {
    if (o[key] !== undefined && !known.includes(key)) unknownKey(key, known, fn, what);
  }
  return o;
}

function unknownKey(key, known, fn, what) {
  const closest = nearest(key, known);
  fail('OUT_OF_RANGE', `${what}.${key} is not an option of ${fn}` +
    (closest ? ` (did you mean '${closest}'?)` : '') + `; it takes ${known.map(show).join(', ')}`);
}

// The known name nearest to `key` by edit distance (case-insensitive), if it is close enough to be a typo.
function nearest(key, known) {
  let best = null, bestDistance = Infinity;
  for (const name of known) {
    const d = editDistance(key.toLowerCase(), name.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : null;
}

function editDistance(a, b) {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length];
}

// ---- scalar arguments ------------------------------------------------------------------------------

// A float parameter: NON_FINITE unless a finite number.
export function num(name, v, fallback) {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail('NON_FINITE', `${name} must be a finite number, got ${show(v)}`);
  return v;
}
// An optional float parameter, NaN when absent (the C++ side's "not given").
export const optNum = (name, v) => num(name, v, NaN);

// An integer: `code` unless an integer in [min, max] (by default at most 2^31−1, what a 32-bit wasm
// parameter holds).
export function int(name, v, code, min, fallback, max = MAX_INT32) {
  if ((v === undefined || v === null) && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const rule = min === 1 ? `a positive integer <= ${max}` : `an integer in [${min}, ${max}]`;
    fail(code, `${name} must be ${rule}, got ${show(v)}`);
  }
  return v;
}
export const size = (name, v, fallback) => int(name, v, 'BAD_SIZE', 1, fallback);
export const heads = (name, v, fallback) => int(name, v, 'BAD_HEADS', 1, fallback);
export const position = (name, v, fallback) => int(name, v, 'BAD_POSITION', 0, fallback, MAX_POSITION);
export const optPosition = (name, v) => (v === undefined || v === null ? NaN : position(name, v));
export const optSize = (name, v) => (v === undefined || v === null ? NaN : size(name, v));
export const seed = (v) => int('seed', v, 'OUT_OF_RANGE', 0, 0, Number.MAX_SAFE_INTEGER);

// The last of `count` positions from `first` must be a position too (no int32 wrap-around in wasm).
export function lastPosition(name, first, count, countName = 'seq') {
  if (first + count - 1 > MAX_POSITION) {
    fail('BAD_POSITION', `${name} + ${countName} - 1 must be at most 2^31-1 = ${MAX_POSITION}, got ${first} + ${count} - 1`);
  }
}

// The size limit for `n` elements of `what` (a tensor, a result, a cache): BAD_SIZE naming both.
export function fitsMemory(what, n) {
  if (n > MAX_ELEMENTS) {
    fail('BAD_SIZE', `${what} would have ${n} elements, more than posenc's limit of ${MAX_ELEMENTS} (2^28) elements per tensor ` +
      '(WebAssembly memory is 32-bit and at most 2 GiB)');
  }
  return n;
}

export function even(name, v) {
  if (v % 2 !== 0) fail('ODD_DIM', `${name} must be even, got ${v}`);
  return v;
}

export function bool(name, v, fallback) {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') fail('OUT_OF_RANGE', `${name} must be true or false, got ${show(v)}`);
  return v;
}

// The index of a name in a list: OUT_OF_RANGE for anything else.
export function choice(name, v, names, fallback) {
  if (v === undefined || v === null) v = fallback;
  const i = typeof v === 'string' ? names.indexOf(v) : -1;
  if (i < 0) fail('OUT_OF_RANGE', `${name} must be one of ${names.map(show).join(', ')}, got ${show(v)}`);
  return i;
}

// The query offset of a [qLen, kLen] bias: given, or kLen − qLen (queries at the last key positions).
export function qOffsetOf(v, qLen, kLen) {
  if (v === undefined || v === null) {
    if (kLen < qLen) {
      fail('BAD_POSITION', `qOffset (default kLen - qLen) must be >= 0, got ${kLen - qLen}: ` +
        'with more queries than keys pass qOffset explicitly (0 for cross-attention)');
    }
    return NaN;
  }
  lastPosition('qOffset', position('qOffset', v), qLen, 'qLen');
  return v;
}
