// Decoding of application/x-www-form-urlencoded bodies and query strings, as UTF-8 bytes.
// Why not URLSearchParams: it works on a JS string, so a body received as bytes would have to
// be decoded first, and it silently turns malformed escapes into U+FFFD. Working on the raw
// bytes keeps multi-byte characters (Chinese, Korean, emoji) byte-exact, and an escape that is
// not %XX is kept literally, as WHATWG's urlencoded parser also does.

const PLUS = 0x2b;
const PERCENT = 0x25;
const AMP = 0x26;
const EQ = 0x3d;

function hexValue(b) {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  return -1;
}

/** Decode one name or value: '+' → space, %XX → byte; the bytes are then read as UTF-8. */
function decodeComponent(buf, start, end) {
  const out = Buffer.allocUnsafe(end - start);
  let n = 0;
  for (let i = start; i < end; i++) {
    const b = buf[i];
    if (b === PLUS) {
      out[n++] = 0x20;
    } else if (
      b === PERCENT &&
      i + 2 < end &&
      hexValue(buf[i + 1]) >= 0 &&
      hexValue(buf[i + 2]) >= 0
    ) {
      out[n++] = (hexValue(buf[i + 1]) << 4) | hexValue(buf[i + 2]);
      i += 2;
    } else {
      out[n++] = b;
    }
  }
  return out.toString('utf8', 0, n);
}

/**
 * Parse a urlencoded byte sequence into an object of strings. A repeated name keeps its
 * last value (Aliyun's RPC parameters are flat and never repeated).
 * @param {Buffer|string} input
 * @returns {Record<string,string>}
 */
export function parseForm(input) {
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(String(input), 'utf8');
  // Entries + Object.fromEntries: a parameter named "__proto__" becomes an own property
  // instead of touching the prototype.
  const entries = [];
  let start = 0;
  while (start <= buf.length) {
    let end = buf.indexOf(AMP, start);
    if (end === -1) end = buf.length;
    if (end > start) {
      let eq = buf.indexOf(EQ, start);
      if (eq === -1 || eq > end) eq = end;
      const name = decodeComponent(buf, start, eq);
      const value = eq < end ? decodeComponent(buf, eq + 1, end) : '';
      entries.push([name, value]);
    }
    start = end + 1;
  }
  return Object.fromEntries(entries);
}
