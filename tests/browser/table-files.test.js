// The demo's table-file reader (web/table-files.js) under Node, whose File matches the browser's:
// every element type and layout it accepts, and a readable error for each kind of bad file.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listTables } from '../../web/table-files.js';

const u64 = (n) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(n)); return b; };

function safetensors(tensors) {
  let offset = 0;
  const header = {};
  for (const [name, dtype, shape, bytes] of tensors) { header[name] = { dtype, shape, data_offsets: [offset, offset + bytes.length] }; offset += bytes.length; }
  const h = Buffer.from(JSON.stringify(header));
  return new File([u64(h.length), h, ...tensors.map((t) => t[3])], 'model.safetensors');
}

function npy(descr, shape, bytes, { fortran = false, version = 1 } = {}) {
  const dict = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }\n`;
  const len = version === 1 ? Buffer.from([dict.length & 255, dict.length >> 8]) : Buffer.from(new Uint32Array([dict.length]).buffer);
  return new File([Buffer.from([0x93]), 'NUMPY', Buffer.from([version, 0]), len, dict, bytes], 'table.npy');
}

const f32 = (values) => Buffer.from(Float32Array.from(values).buffer);

test('safetensors: F32, F16 and BF16 tensors convert exactly; the position table comes first', async () => {
  const f16 = Buffer.from(new Uint16Array([0x3c00, 0xc000, 0x3800, 0x0000, 0x7bff, 0x0001]).buffer);  // 1, -2, 0.5, 0, 65504, 2^-24
  const bf16 = Buffer.from(new Uint16Array([0x3f80, 0xc040, 0x3e80, 0x0000]).buffer);                 // 1, -3, 0.25, 0
  const tables = await listTables(safetensors([
    ['h.0.ln.weight', 'F32', [3], f32([1, 2, 3])],
    ['proj', 'F16', [2, 3], f16],
    ['wpe.weight', 'BF16', [2, 2], bf16],
  ]));
  assert.deepEqual(tables.map((t) => t.name), ['wpe.weight', 'proj']);
  assert.deepEqual(Array.from(await tables[0].read()), [1, -3, 0.25, 0]);
  assert.deepEqual(Array.from(await tables[1].read()), [1, -2, 0.5, 0, 65504, 2 ** -24]);
});

test('npy: float32 and float64, header versions 1 and 2', async () => {
  const [a] = await listTables(npy('<f4', [2, 2], f32([1, 2, 3, 4])));
  assert.deepEqual(a.shape, [2, 2]);
  assert.deepEqual(Array.from(await a.read()), [1, 2, 3, 4]);
  const [b] = await listTables(npy('<f8', [1, 3], Buffer.from(Float64Array.from([0.5, -1, 8]).buffer), { version: 2 }));
  assert.deepEqual(Array.from(await b.read()), [0.5, -1, 8]);
});

test('json: rows, {shape, data}, and named tables', async () => {
  const rows = await listTables(new File([JSON.stringify([[1, 2], [3, 4], [5, 6]])], 't.json'));
  assert.deepEqual(rows[0].shape, [3, 2]);
  const flat = await listTables(new File([JSON.stringify({ wpe: { shape: [2, 2], data: [1, 2, 3, 4] } })], 't.json'));
  assert.deepEqual(Array.from(await flat[0].read()), [1, 2, 3, 4]);
});

test('bad files give a BAD_FILE error that says what is wrong', async () => {
  const cases = [
    [new File(['hello'], 'x.txt'), /unknown file type/],
    [new File(['{"a": [1, 2'], 'x.json'), /malformed JSON/],
    [new File([JSON.stringify([[1, 2], [3]])], 'x.json'), /different lengths/],
    [new File([Buffer.from('NOTNUMPY')], 'x.npy'), /missing \\x93NUMPY magic/],
    [npy('<i4', [2, 2], Buffer.alloc(16)), /<i4 is not supported/],
    [npy('<f4', [2, 2], f32([1, 2, 3, 4]), { fortran: true }), /Fortran order/],
    [npy('<f4', [4], f32([1, 2, 3, 4])), /no 2-D table/],
    [npy('<f4', [2, 2], f32([1, 2])), /shorter than its shape/],
    [new File([u64(1e12)], 'x.safetensors'), /bad header length/],
    [safetensors([['w', 'I64', [2, 2], Buffer.alloc(32)]]), null],
  ];
  for (const [file, message] of cases) {
    if (message === null) {
      const [t] = await listTables(file);
      await assert.rejects(t.read(), (e) => e.code === 'BAD_FILE' && /element type I64/.test(e.message));
      continue;
    }
    await assert.rejects(listTables(file), (e) => e.code === 'BAD_FILE' && message.test(e.message), `${file.name}: ${message}`);
  }
});
