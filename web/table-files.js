// Reads a 2-D float table (positions × dims) from a file the user picks: .safetensors, .npy or .json.
// Written from the formats' public descriptions; no third-party parser.

export class TableFileError extends Error {
  constructor(message) { super(message); this.code = 'BAD_FILE'; }
}

function halfToFloat(h) {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

// Converts raw little-endian bytes of a dtype to float32.
function toFloat32(bytes, dtype, count) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  const read = {
    F32: (i) => view.getFloat32(4 * i, true),
    F64: (i) => view.getFloat64(8 * i, true),
    F16: (i) => halfToFloat(view.getUint16(2 * i, true)),
    BF16: (i) => { const u = new DataView(new ArrayBuffer(4)); u.setUint32(0, view.getUint16(2 * i, true) << 16, true); return u.getFloat32(0, true); },
  }[dtype];
  if (!read) throw new TableFileError(`unsupported element type ${dtype}: use float32, float64, float16 or bfloat16`);
  for (let i = 0; i < count; i++) out[i] = read(i);
  return out;
}

const size = { F32: 4, F64: 8, F16: 2, BF16: 2 };
const is2d = (shape) => Array.isArray(shape) && shape.length === 2 && shape.every((n) => Number.isInteger(n) && n > 0);
const describe = (shape) => (Array.isArray(shape) ? `[${shape.join(', ')}]` : String(shape));
const isCount = (n) => Number.isSafeInteger(n) && n >= 0;
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
// A shape's element count; a malformed shape (not a list of counts) is the file's fault.
function countOf(where, shape) {
  if (!Array.isArray(shape) || !shape.every(isCount)) throw new TableFileError(`${where}: shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
  return shape.reduce((x, y) => x * y, 1);
}

// safetensors: u64 little-endian header length, a JSON header {name: {dtype, shape, data_offsets}},
// then the data. Only the header and the chosen tensor's bytes are read, so a 500 MB checkpoint is fine.
// Every entry is checked when listed (shape, offsets inside the data section), so read() allocates only
// what the file holds.
async function listSafetensors(file) {
  if (file.size < 8) throw new TableFileError('file too short for safetensors (under 8 bytes)');
  const head = new DataView(await file.slice(0, 8).arrayBuffer());
  const n = Number(head.getBigUint64(0, true));
  if (n <= 0 || n > 100e6 || n + 8 > file.size) throw new TableFileError('not a safetensors file (bad header length)');
  let header;
  try { header = JSON.parse(await file.slice(8, 8 + n).text()); } catch { throw new TableFileError('not a safetensors file (header is not JSON)'); }
  if (!isObject(header)) throw new TableFileError(`not a safetensors file (header is ${JSON.stringify(header)}, not an object of tensors)`);
  const dataBytes = file.size - 8 - n;
  return Object.entries(header).filter(([k]) => k !== '__metadata__').map(([name, t]) => {
    if (!isObject(t)) throw new TableFileError(`tensor ${name}: entry must be an object {dtype, shape, data_offsets}`);
    const count = countOf(`tensor ${name}`, t.shape);
    const offsets = t.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
      throw new TableFileError(`tensor ${name}: data_offsets must be two non-negative integers [begin, end], got ${JSON.stringify(offsets)}`);
    }
    const [a, b] = offsets;
    if (a > b || b > dataBytes) throw new TableFileError(`tensor ${name}: data_offsets [${a}, ${b}] lie outside the ${dataBytes} data bytes`);
    return {
      name, shape: t.shape, dtype: t.dtype,
      read: async () => {
        if (!size[t.dtype]) throw new TableFileError(`tensor ${name} has element type ${t.dtype}: use F32, F64, F16 or BF16`);
        if (b - a !== count * size[t.dtype]) throw new TableFileError(`tensor ${name}: byte range does not match its shape`);
        return toFloat32(new Uint8Array(await file.slice(8 + n + a, 8 + n + b).arrayBuffer()), t.dtype, count);
      },
    };
  });
}

// .npy: magic "\x93NUMPY", version, header length (u16 in v1, u32 in v2/3), a Python dict literal.
async function listNpy(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const magic = String.fromCharCode(...bytes.slice(1, 6));
  if (bytes[0] !== 0x93 || magic !== 'NUMPY') throw new TableFileError('not a .npy file (missing \\x93NUMPY magic)');
  if (bytes.length < 10) throw new TableFileError(`truncated .npy file (${bytes.length} bytes, shorter than the 10-byte preamble)`);
  const view = new DataView(bytes.buffer);
  const major = bytes[6];
  if (major < 1 || major > 3) throw new TableFileError(`.npy format version ${major} is not supported (1, 2 or 3)`);
  if (major > 1 && bytes.length < 12) throw new TableFileError('.npy file ends inside its preamble');
  const hlen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + hlen > bytes.length) throw new TableFileError('.npy header runs past the end of the file');
  const header = new TextDecoder().decode(bytes.slice(start, start + hlen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*True/.test(header);
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined) throw new TableFileError('.npy header has no descr or shape');
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map((s) => (/^\d+L?$/.test(s) ? parseInt(s, 10) : NaN));
  const dtype = { '<f4': 'F32', '<f8': 'F64', '<f2': 'F16', '|f4': 'F32' }[descr];
  if (!dtype) throw new TableFileError(`.npy element type ${descr} is not supported: use little-endian float32/float64/float16`);
  if (fortran) throw new TableFileError('.npy in Fortran order is not supported: save with np.ascontiguousarray');
  const count = countOf('.npy', shape);
  const body = bytes.subarray(start + hlen);
  if (body.byteLength < count * size[dtype]) throw new TableFileError('.npy file is shorter than its shape says');
  return [{ name: file.name, shape, dtype, read: async () => toFloat32(body.slice(0, count * size[dtype]), dtype, count) }];
}

// JSON: [[...], ...], {"shape": [r, c], "data": [...]}, or an object of such (e.g. {"wpe": [[...]]}).
async function listJson(file) {
  let value;
  try { value = JSON.parse(await file.text()); } catch (e) { throw new TableFileError(`malformed JSON: ${e.message}`); }
  const asTable = (v) => {
    if (Array.isArray(v) && v.length && Array.isArray(v[0])) {
      const cols = v[0].length;
      if (!v.every((row) => Array.isArray(row) && row.length === cols)) return { error: 'rows have different lengths' };
      return numbers({ shape: [v.length, cols], values: v.flat() });
    }
    if (v && Array.isArray(v.shape) && Array.isArray(v.data)) {
      if (!v.shape.every(isCount)) return { error: `shape must be a list of non-negative integers, got ${JSON.stringify(v.shape)}` };
      const count = v.shape.reduce((x, y) => x * y, 1);
      if (count !== v.data.length) return { error: `shape ${describe(v.shape)} needs ${count} values, data has ${v.data.length}` };
      return numbers({ shape: v.shape, values: v.data });
    }
    return null;
  };
  const numbers = ({ shape, values }) => (values.every((x) => typeof x === 'number')
    ? { shape, data: () => Float32Array.from(values) } : { error: 'values must all be numbers' });
  const direct = asTable(value);
  const entries = direct ? [[file.name, direct]] : Object.entries(isObject(value) ? value : {}).map(([k, v]) => [k, asTable(v)]).filter(([, t]) => t);
  for (const [k, t] of entries) if (t.error) throw new TableFileError(`${k}: ${t.error}`);
  return entries.map(([name, t]) => ({ name, shape: t.shape, dtype: 'F32', read: async () => t.data() }));
}

// Returns the file's 2-D tensors, the likeliest position table first.
export async function listTables(file) {
  const name = file.name.toLowerCase();
  const all = name.endsWith('.safetensors') ? await listSafetensors(file)
    : name.endsWith('.npy') ? await listNpy(file)
      : name.endsWith('.json') ? await listJson(file)
        : (() => { throw new TableFileError(`unknown file type "${file.name}": pick a .safetensors, .npy or .json file`); })();
  const tables = all.filter((t) => is2d(t.shape));
  if (!tables.length) {
    const shapes = all.slice(0, 5).map((t) => `${t.name} ${describe(t.shape ?? [])}`).join(', ');
    throw new TableFileError(`no 2-D table (positions × dims) in ${file.name}${shapes ? `; found ${shapes}` : ''}`);
  }
  const score = (t) => (/wpe|position/.test(t.name) ? 0 : 1);
  return tables.sort((a, b) => score(a) - score(b));
}
