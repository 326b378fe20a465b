// load() takes the .wasm from where the caller says: a path, a file: URL or an http URL (served here on
// loopback), or the bytes themselves; each choice computes the same values.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { BUILDS, load } from './helpers.js';

const distUrl = (file) => new URL(`../../dist/${file}`, import.meta.url);

async function withServer(bytes, fn) {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests += 1;
    res.writeHead(200, { 'content-type': 'application/wasm' });
    res.end(bytes);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await fn(`http://127.0.0.1:${server.address().port}/moved.wasm`);
    return requests;
  } finally {
    server.close();
  }
}

for (const build of BUILDS) {
  const file = build.simd ? 'posenc_simd.wasm' : 'posenc_scalar.wasm';
  test(`${build.name}: load({ wasmUrl }) and load({ wasmBinary }) give the same module as the default`, async () => {
    const expected = (await load({ simd: build.simd })).alibiSlopes(12);
    const bytes = await readFile(distUrl(file));
    const sources = [
      { wasmUrl: fileURLToPath(distUrl(file)) },
      { wasmUrl: distUrl(file).href },
      { wasmBinary: bytes },
    ];
    for (const source of sources) {
      const pe = await load({ simd: build.simd, ...source });
      assert.equal(pe.features.simd, build.simd);
      assert.deepEqual(pe.alibiSlopes(12), expected);
    }
    const requests = await withServer(bytes, async (url) => {
      const pe = await load({ simd: build.simd, wasmUrl: url });
      assert.deepEqual(pe.alibiSlopes(12), expected);
    });
    assert.equal(requests, 1, 'the module came from the given http URL');
    await assert.rejects(load({ simd: build.simd, wasmUrl: '/nonexistent/posenc.wasm' }),
      (e) => e instanceof Error && e.code === 'LOAD_FAILED' && e.message.includes('/nonexistent/posenc.wasm'));
  });
}

for (const build of BUILDS) {
  test(`${build.name}: load() rejects a bad simd choice, an unknown option and an unloadable wasm with advice`, async () => {
    await assert.rejects(load({ simd: 'yes' }), (e) => e.code === 'OUT_OF_RANGE' && /simd/.test(e.message));
    await assert.rejects(load({ simd: build.simd, wasmBinary: new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 99]) }),
      (e) => e instanceof Error && e.code === 'LOAD_FAILED' && /wasmUrl/.test(e.message));
    await assert.rejects(load({ simd: build.simd, wasmURL: 'x.wasm' }),
      (e) => e.code === 'OUT_OF_RANGE' && /wasmURL.*did you mean 'wasmUrl'/.test(e.message));
  });
}

test('load() names WebAssembly exception handling when the engine lacks it, and the probe finds it in Node', async () => {
  const { exceptionsSupported } = await import('../../bindings/load.js');
  assert.equal(exceptionsSupported(), true);
  const validate = WebAssembly.validate;
  // An engine without exception handling rejects exactly the modules that use it (the probe among them).
  WebAssembly.validate = (bytes) => !(bytes.length === 28 && bytes[23] === 6 && bytes[25] === 25) && validate(bytes);
  try {
    assert.equal(exceptionsSupported(), false);
    await assert.rejects(load({ simd: false, wasmBinary: await readFile(distUrl('posenc_scalar.wasm')) }),
      (e) => e.code === 'LOAD_FAILED' && /exception handling/.test(e.message));
  } finally {
    WebAssembly.validate = validate;
  }
});
