// posenc for Node (the package's "node" export condition): the same API as index.js, with the .wasm bytes
// read from the installed package (Node's fetch does not read file: URLs).
import { readFile } from 'node:fs/promises';

import { makeLoad } from './load.js';

export { PosencError } from './checks.js';
export { simdSupported } from './load.js';

async function readWasm(file, { wasmUrl }) {
  if (wasmUrl === undefined || wasmUrl === null) return readFile(new URL(`../dist/${file}`, import.meta.url));
  const url = String(wasmUrl);
  if (/^https?:/.test(url)) return new Uint8Array(await (await fetch(url)).arrayBuffer());
  return readFile(url.startsWith('file:') ? new URL(url) : url);
}

/**
 * Instantiates posenc once per choice and resolves to its API (index.d.ts).
 * @param {{ simd?: 'auto' | boolean, wasmUrl?: string | URL, wasmBinary?: ArrayBuffer | Uint8Array }} [options]
 */
export const load = makeLoad(readWasm);
export default load;
