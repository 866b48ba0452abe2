// Just enough of the WebAssembly binary format to size a module: its sections, each function
// body with its name (from the "name" custom section), and the data segments.
// Format: https://webassembly.github.io/spec/core/binary/modules.html

const sectionNames = [
  'custom',
  'type',
  'import',
  'function',
  'table',
  'memory',
  'global',
  'export',
  'start',
  'element',
  'code',
  'data',
  'datacount',
];

/** A reader over `bytes` from `offset`. */
const reader = (bytes, offset = 0) => {
  let at = offset;
  const u32 = () => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = bytes[at++];
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
  };
  const name = () => {
    const length = u32();
    const text = Buffer.from(bytes.buffer, bytes.byteOffset + at, length).toString('utf8');
    at += length;
    return text;
  };
  return {
    u32,
    name,
    byte: () => bytes[at++],
    skip: (n) => {
      at += n;
    },
    get at() {
      return at;
    },
  };
};

/** Imported functions: they come first in the function index space and have no body. */
const countFunctionImports = (bytes, { start, end }) => {
  const r = reader(bytes, start);
  let functions = 0;
  for (let i = r.u32(); i > 0; i -= 1) {
    r.name();
    r.name();
    const kind = r.byte();
    if (kind === 0) {
      functions += 1;
      r.u32();
    } else if (kind === 1) {
      r.byte();
      const flags = r.u32();
      r.u32();
      if (flags & 1) r.u32();
    } else if (kind === 2) {
      const flags = r.u32();
      r.u32();
      if (flags & 1) r.u32();
    } else if (kind === 3) {
      r.byte();
      r.byte();
    } else {
      r.byte();
      r.u32();
    }
  }
  if (r.at !== end) throw new Error('import section not read to its end');
  return functions;
};

/** Function names by index, from subsection 1 of the name section. */
const functionNames = (bytes, { start, end }) => {
  const names = new Map();
  const r = reader(bytes, start);
  r.name(); // "name"
  while (r.at < end) {
    const id = r.byte();
    const size = r.u32();
    const next = r.at + size;
    if (id === 1) {
      for (let i = r.u32(); i > 0; i -= 1) {
        const index = r.u32();
        names.set(index, r.name());
      }
    }
    r.skip(next - r.at);
  }
  return names;
};

/**
 * The module's sections ({ id, kind, name, start, end, size } where size counts the section's
 * id and size bytes too, so the sizes add up to the file), its function bodies ({ index, name,
 * offset, size } where offset and size take in the body's own size prefix, so the sizes add up
 * to the code section less its count) and its data segments ({ size } of data bytes).
 */
export const readModule = (bytes) => {
  if (bytes.readUInt32LE(0) !== 0x6d736100) throw new Error('not a WebAssembly module');
  const sections = [];
  const r = reader(bytes, 8);
  while (r.at < bytes.length) {
    const headerStart = r.at;
    const id = r.byte();
    const size = r.u32();
    const start = r.at;
    const end = start + size;
    const kind = sectionNames[id] ?? `unknown ${id}`;
    const name = id === 0 ? reader(bytes, start).name() : kind;
    sections.push({ id, kind, name, start, end, size: end - headerStart });
    r.skip(size);
  }
  const importSection = sections.find((s) => s.id === 2);
  const imported = importSection ? countFunctionImports(bytes, importSection) : 0;
  const nameSection = sections.find((s) => s.id === 0 && s.name === 'name');
  const names = nameSection ? functionNames(bytes, nameSection) : new Map();

  const functions = [];
  const code = sections.find((s) => s.id === 10);
  if (code) {
    const c = reader(bytes, code.start);
    const count = c.u32();
    for (let i = 0; i < count; i += 1) {
      const before = c.at;
      const size = c.u32();
      c.skip(size);
      const index = imported + i;
      functions.push({
        index,
        name: names.get(index) ?? null,
        offset: before,
        size: c.at - before,
      });
    }
  }
  const segments = [];
  const data = sections.find((s) => s.id === 11);
  if (data) {
    const d = reader(bytes, data.start);
    for (let i = d.u32(); i > 0; i -= 1) {
      const flags = d.u32();
      if (flags === 2) d.u32();
      if (flags !== 1) {
        // The offset expression: an i32.const or global.get and `end`.
        for (let op = d.byte(); op !== 0x0b; op = d.byte()) d.u32();
      }
      const size = d.u32();
      d.skip(size);
      segments.push({ size });
    }
  }
  return { sections, importedFunctions: imported, functions, segments, named: names.size > 0 };
};
