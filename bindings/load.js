// Loading: the SIMD probe, the choice of build, and one cached instance per choice. index.js (browsers,
// bundlers) and index.node.js (Node) differ only in how they read the .wasm bytes.
import { createApi } from './api.js';
import { fail, options, PosencError, show } from './checks.js';

const LOAD = ['simd', 'wasmUrl', 'wasmBinary'];

// Whether this engine accepts a module: the probes below each use one feature a build needs.
function validates(bytes) {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

// The smallest module using a SIMD128 instruction: (func (result v128) i32.const 0 i32x4.splat).
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 8, 1, 6, 0, 65, 0,
  253, 17, 11]);
// The smallest module using exception handling: (func try catch_all end), which both builds need.
const EXCEPTIONS_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 8, 1, 6, 0, 6, 64,
  25, 11, 11]);

/** Whether this engine runs WebAssembly SIMD128. */
export const simdSupported = () => validates(SIMD_PROBE);
/** Whether this engine runs WebAssembly exception handling. */
export const exceptionsSupported = () => validates(EXCEPTIONS_PROBE);

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
      o = options(opts, LOAD, 'load');
      if (!(o.simd === undefined || o.simd === 'auto' || o.simd === true || o.simd === false)) {
        fail('OUT_OF_RANGE', `simd must be 'auto', true or false, got ${show(o.simd)}`);
      }
    } catch (e) {
      return Promise.reject(e);
    }
    if (typeof WebAssembly !== 'object') {
      return Promise.reject(new PosencError('LOAD_FAILED', 'posenc needs WebAssembly, which this JavaScript engine lacks'));
    }
    if (!exceptionsSupported()) {
      return Promise.reject(new PosencError('LOAD_FAILED', 'posenc needs WebAssembly exception handling (Chrome 95, ' +
        'Firefox 100, Safari 15.2, Node 17 or later), which this JavaScript engine lacks'));
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
