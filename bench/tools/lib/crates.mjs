// Which crate a function of our .wasm belongs to, from its name in the name section (demangled
// Rust paths as rustc and wasm-ld write them, or wasm-bindgen's names for what it generates).
//
// After LTO and wasm-opt -Oz, a function stands for whatever was inlined into it: a crate's
// small functions are counted where they were inlined, and a generic function is counted under
// the crate that defines it, whoever instantiated it. The rules, in order:
//   - wasm-bindgen's generated exports, shims and intrinsics → wasm-bindgen;
//   - `<T as Trait>::f` → the crate of T, unless T is a primitive or from core/alloc/std, then
//     the crate of Trait (`<String as serde::Serialize>` is serde's code); an impl of a serde
//     trait for one of our types (serde derive) → "serde (impls for our types)";
//   - `FnOnce::call_once{{vtable.shim}}`: the body of a boxed closure, inlined into its vtable
//     shim, whose name no longer says whose closure it was → a row of its own;
//   - the global allocator's entry points (`__rust_alloc`, …) → dlmalloc, std's allocator;
//   - otherwise the first segment of the path.

export const ourCrate = 'aliyun_connectors';

// Crate names as the symbols spell them → the name the table shows.
const aliases = new Map([
  ['serde_core', 'serde'],
  ['serde_derive', 'serde'],
  ['wasm_bindgen', 'wasm-bindgen'],
  ['serde_wasm_bindgen', 'serde-wasm-bindgen'],
  ['js_sys', 'js-sys'],
  ['web_sys', 'web-sys'],
  ['gloo_net', 'gloo-net'],
  ['gloo_utils', 'gloo-utils'],
  ['wasm_bindgen_futures', 'wasm-bindgen-futures'],
  ['block_buffer', 'block-buffer'],
  ['crypto_common', 'crypto-common'],
  ['generic_array', 'generic-array'],
  ['lock_api', 'lock_api'],
]);

export const closureShims = 'closure vtable shims (boxed closures, owner unknown)';
export const serdeForOurs = 'serde (impls for our types)';
const stdCrates = new Set(['core', 'alloc', 'std']);

const crateName = (raw) => aliases.get(raw) ?? raw;

/** Without hashes (`::h0123…`) and crate disambiguators (`core[c5930c…]`). */
export const cleanName = (name) =>
  name.replace(/::h[0-9a-f]{16}$/, '').replace(/\[[0-9a-f]{8,}\]/g, '');

/** The leading crate of a type or path (`&mut serde_json::de::X<R>` → serde_json), or null. */
const leadingCrate = (text) => {
  const bare = text
    .replace(/^(?:&(?:mut )?|\*(?:const|mut) |dyn |impl )+/, '')
    .replace(/^[[(]+/, '');
  if (bare.startsWith('<')) return impl(bare).crate;
  const match = /^([A-Za-z_][A-Za-z0-9_]*)::/.exec(bare);
  return match ? match[1] : null;
};

/** `<T as Trait>::rest` or `<T>::rest`: the crates of T and Trait. */
const impl = (name) => {
  let depth = 0;
  let asAt = -1;
  for (let i = 0; i < name.length; i += 1) {
    const c = name[i];
    if (c === '<') depth += 1;
    else if (c === '>') {
      depth -= 1;
      if (depth === 0) {
        const self = name.slice(1, asAt === -1 ? i : asAt);
        const trait = asAt === -1 ? null : name.slice(asAt + 4, i);
        return {
          selfCrate: leadingCrate(self),
          traitCrate: trait ? leadingCrate(trait) : null,
          crate: leadingCrate(self),
        };
      }
    } else if (depth === 1 && asAt === -1 && name.startsWith(' as ', i)) {
      asAt = i;
    }
  }
  return { selfCrate: null, traitCrate: null, crate: null };
};

/** The crate (as the table names it) of the function named `name` (null: unnamed). */
export const crateOf = (name) => {
  if (!name) return '(unnamed)';
  const clean = cleanName(name);
  if (
    /(?:externref|multivalue) shim$/.test(clean) ||
    /^(?:__wbindgen|__wbg_|__externref|wasm_bindgen::|__wasm_bindgen)/.test(clean) ||
    /^(?:getMetadata|validateConfig|sendMessage)$/.test(clean)
  ) {
    return 'wasm-bindgen';
  }
  if (clean.startsWith('core::ops::function::FnOnce::call_once{{vtable.shim}}'))
    return closureShims;
  if (clean.startsWith('<')) {
    const { selfCrate, traitCrate } = impl(clean);
    const selfIsHost = !selfCrate || stdCrates.has(selfCrate);
    if (selfCrate === ourCrate && (traitCrate === 'serde_core' || traitCrate === 'serde'))
      return serdeForOurs;
    if (selfIsHost && traitCrate && !stdCrates.has(traitCrate)) return crateName(traitCrate);
    return crateName(selfCrate ?? traitCrate ?? 'core');
  }
  const first = /^([A-Za-z_][A-Za-z0-9_]*)::/.exec(clean)?.[1];
  // A derived impl sits in the deriving crate's path: `ours::sms::_::<impl serde::Serialize for …>`.
  if (first === ourCrate && /::<impl serde(?:_core)?::/.test(clean)) return serdeForOurs;
  // The global allocator's entry points (`__rustc::__rust_alloc`, …) hold std's dlmalloc inlined.
  if (first === '__rustc' || /^__(?:rust_|rdl_|rg_)/.test(clean)) return 'dlmalloc';
  if (first) return crateName(first);
  // Symbols without a path: compiler intrinsics and libc-like helpers (memcpy, __multi3, …).
  return 'compiler_builtins';
};

/** The crates issue 15 asked about, in its order: shown even when nothing is left of them. */
export const specifiedCrates = [
  'wasm-bindgen',
  'serde',
  'serde_json',
  'serde-wasm-bindgen',
  'js-sys',
  'web-sys',
  'hmac',
  'sha1',
  'base64',
  'gloo-net',
  'dlmalloc',
];
