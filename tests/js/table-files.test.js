// The demo's table-file parser (web/table-files.js) against malformed files: the classic bad headers, then
// a seeded storm of ~3,000 mutations of valid files. Every outcome is a parsed table or a BAD_FILE error
// with a message; no other exception, and nothing larger than the file is allocated.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { listTables } from '../../web/table-files.js';

const u64 = (n) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(n)); return b; };
const safetensorsBytes = (header, data = Buffer.alloc(0)) => {
  const h = Buffer.from(JSON.stringify(header));
  return Buffer.concat([u64(h.length), h, data]);
};
function npyBytes(descr, shape, data, version = 1) {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }\n`;
  const len = version === 1 ? Buffer.from([dict.length & 255, dict.length >> 8]) : Buffer.from(new Uint32Array([dict.length]).buffer);
  return Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([version, 0]), len, Buffer.from(dict), data]);
}
const f32 = (values) => Buffer.from(Float32Array.from(values).buffer);

// Parses and reads every table; returns the tables' data or the BAD_FILE error. Anything else fails.
async function outcome(bytes, name) {
  try {
    const tables = await listTables(new File([bytes], name));
    const data = [];
    for (const t of tables) {
      const values = await t.read();
      assert.ok(values instanceof Float32Array);
      assert.equal(values.length, t.shape[0] * t.shape[1], `${name}: read() gives shape's count`);
      assert.ok(values.length <= bytes.length, `${name}: ${values.length} values from a ${bytes.length}-byte file`);
      data.push(values);
    }
    return data;
  } catch (e) {
    assert.equal(e?.code, 'BAD_FILE', `${name}: ${e?.constructor?.name}: ${e?.message ?? e}`);
    assert.ok(typeof e.message === 'string' && e.message.length > 0);
    return e;
  }
}

test('malformed headers each give a clear BAD_FILE message, and no huge allocation', async () => {
  const cases = [
    [safetensorsBytes({ w: { dtype: 'F32', shape: [46341, 46341], data_offsets: [0, 8] } }, Buffer.alloc(8)), 'x.safetensors', /outside|does not match/],
    [safetensorsBytes({ w: { dtype: 'F32', shape: [46341, 46341], data_offsets: [0, 46341 * 46341 * 4] } }), 'x.safetensors', /outside the 0 data bytes/],
    [safetensorsBytes(null), 'x.safetensors', /header is null/],
    [safetensorsBytes({ w: { dtype: 'F32', shape: [1, 2] } }, f32([1, 2])), 'x.safetensors', /data_offsets must be/],
    [safetensorsBytes({ w: { dtype: 'F32', shape: [1, 2], data_offsets: [0, 800] } }, f32([1, 2])), 'x.safetensors', /outside the 8 data bytes/],
    [safetensorsBytes({ w: { dtype: 'F32', shape: [1, 2], data_offsets: [-8, 0] } }, f32([1, 2])), 'x.safetensors', /non-negative/],
    [safetensorsBytes({ w: { dtype: 'F32', shape: [1, -2], data_offsets: [0, 8] } }, f32([1, 2])), 'x.safetensors', /shape must be/],
    [safetensorsBytes({ w: 5 }), 'x.safetensors', /entry must be an object/],
    [Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1]), 'x.npy', /10-byte preamble/],
    [npyBytes('<f4', ['2', '-1'], f32([1, 2])), 'x.npy', /shape must be/],
    [Buffer.from(JSON.stringify({ shape: [2, 3], data: [1, 2, 3] })), 'x.json', /needs 6 values, data has 3/],
    [Buffer.from(JSON.stringify([[1, 'a'], [2, 3]])), 'x.json', /numbers/],
    [Buffer.from('null'), 'x.json', /no 2-D table/],
  ];
  for (const [bytes, name, message] of cases) {
    const e = await outcome(bytes, name);
    assert.ok(e instanceof Error, `${name} ${message}: parsed`);
    assert.match(e.message, message);
  }
});

// mulberry32: a small seeded generator, so a failing mutation reproduces from its seed.
function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEEDS = [
  ['model.safetensors', safetensorsBytes({ __metadata__: { format: 'pt' }, 'wpe.weight': { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
    bias: { dtype: 'F16', shape: [1, 2], data_offsets: [24, 28] } }, Buffer.concat([f32([1, 2, 3, 4, 5, 6]), Buffer.from([0, 0x3c, 0, 0xc0])]))],
  ['t.npy', npyBytes('<f4', [2, 2], f32([1, 2, 3, 4]))],
  ['t.npy', npyBytes('<f8', [1, 3], Buffer.from(Float64Array.of(0.5, -1, 8).buffer), 2)],
  ['t.json', Buffer.from(JSON.stringify([[1, 2], [3, 4], [5, 6]]))],
  ['t.json', Buffer.from(JSON.stringify({ wpe: { shape: [2, 2], data: [1, 2, 3, 4] } }))],
];

function mutate(bytes, rnd) {
  let b = Buffer.from(bytes);
  const at = () => Math.floor(rnd() * (b.length + 1));
  const digits = ['0', '9', '46341', '-1', '1e10', '4294967296', 'null', '""', '[]', '{}', '1.5'];
  for (let k = 1 + Math.floor(rnd() * 3); k > 0; --k) {
    switch (Math.floor(rnd() * 6)) {
      case 0: if (b.length) b[Math.min(at(), b.length - 1)] = Math.floor(rnd() * 256); break; // flip a byte
      case 1: b = b.subarray(0, at()); break; // truncate
      case 2: { const i = at(); b = Buffer.concat([b.subarray(0, i), Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => Math.floor(rnd() * 256))), b.subarray(i)]); break; }
      case 3: { // replace a number in the text with a hostile token
        const text = b.toString('latin1');
        const numbers = [...text.matchAll(/-?\d+/g)];
        if (numbers.length) {
          const m = numbers[Math.floor(rnd() * numbers.length)];
          b = Buffer.from(text.slice(0, m.index) + digits[Math.floor(rnd() * digits.length)] + text.slice(m.index + m[0].length), 'latin1');
        }
        break;
      }
      case 4: if (b.length >= 8) u64(Math.floor(rnd() * (b.length + 16))).copy(b, 0); break; // a header length
      default: { const i = at(), j = at(); b = Buffer.concat([b.subarray(0, Math.min(i, j)), b.subarray(Math.max(i, j))]); } // cut a slice
    }
  }
  return b;
}

test('a seeded storm of 3,000 mutated files: a table or a BAD_FILE error, bounded allocation', async () => {
  const seed = Number(process.env.POSENC_STORM_SEED ?? 20240613);
  const rnd = random(seed);
  let parsed = 0, rejected = 0;
  for (let i = 0; i < 3000; ++i) {
    const [name, bytes] = SEEDS[i % SEEDS.length];
    const mutated = mutate(bytes, rnd);
    try {
      const r = await outcome(mutated, name);
      if (r instanceof Error) ++rejected;
      else ++parsed;
    } catch (e) {
      e.message = `storm seed ${seed}, file ${i} (${name}, bytes ${mutated.toString('base64')}): ${e.message}`;
      throw e;
    }
  }
  assert.ok(parsed > 0 && rejected > 0, `both outcomes occur (${parsed} parsed, ${rejected} rejected)`);
});
