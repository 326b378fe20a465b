// posenc for browsers and bundlers (ESM). The Emscripten glue fetches dist/posenc_{simd,scalar}.wasm from
// next to itself (new URL(..., import.meta.url), which Vite and other bundlers rewrite), unless
// load({ wasmUrl }) or load({ wasmBinary }) says otherwise.
import { makeLoad } from './load.js';

export { PosencError } from './checks.js';
export { simdSupported } from './load.js';

/**
 * Instantiates posenc once per choice and resolves to its API (index.d.ts).
 * @param {{ simd?: 'auto' | boolean, wasmUrl?: string | URL, wasmBinary?: ArrayBuffer | Uint8Array }} [options]
 */
export const load = makeLoad(async () => undefined);
export default load;
