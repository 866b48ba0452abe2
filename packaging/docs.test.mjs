// Checks on the operator documentation shipped with the two connector packages.
// Run with: node --test packaging/   (Node 20; on Node 22+ pass the file: node --test packaging/docs.test.mjs)
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

const LANGUAGES = ['README.md', 'README.zh-CN.md', 'README.fr.md', 'README.ko.md'];

const USAGE_TYPES = [
  'SignIn',
  'Register',
  'ForgotPassword',
  'Generic',
  'OrganizationInvitation',
  'UserPermissionValidation',
  'BindNewIdentifier',
  'MfaVerification',
  'BindMfa',
];
const REQUIRED_USAGE_TYPES = ['SignIn', 'Register', 'ForgotPassword', 'Generic'];

// The documented config keys of each connector. `top` are the keys of the config object,
// `template` the keys of one `templates[]` item. Exported so a later check can compare
// them with the core's own key list.
export const CONNECTORS = {
  'aliyun-dm': {
    factoryId: 'aliyun-dm-wasm',
    top: [
      'accessKeyId',
      'accessKeySecret',
      'accountName',
      'fromAlias',
      'regionId',
      'templates',
      'endpoint',
      'securityToken',
      'timeoutMs',
    ],
    template: ['usageType', 'subject', 'content', 'locale', 'contentType'],
  },
  'aliyun-sms': {
    factoryId: 'aliyun-sms-wasm',
    top: [
      'accessKeyId',
      'accessKeySecret',
      'signName',
      'templates',
      'strictPhoneRegionNumberCheck',
      'regionId',
      'endpoint',
      'securityToken',
      'timeoutMs',
    ],
    template: ['usageType', 'templateCode', 'type', 'locale'],
  },
};

const read = (connector, file) => readFileSync(join(here, connector, file));

// ---------------------------------------------------------------------------
// Markdown helpers

/** The lines of a Markdown text outside fenced code blocks. */
export function proseLines(text) {
  const out = [];
  let fence = null;
  for (const line of text.split('\n')) {
    const m = /^\s*(`{3,}|~{3,})/.exec(line);
    if (m) {
      if (fence === null) fence = m[1][0];
      else if (m[1][0] === fence) fence = null;
      continue;
    }
    if (fence === null) out.push(line);
  }
  return out;
}

/** GitHub's heading slug (github-slugger): lower case, punctuation and symbols dropped, spaces to hyphens. */
export function slug(heading) {
  const text = heading
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1') // images -> alt text
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1') // links -> text
    .replace(/<[^>]+>/g, '') // inline HTML
    .trim();
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a Markdown file defines, with GitHub's -1, -2 suffixes for repeated headings. */
export function anchors(text) {
  const seen = new Map();
  const result = new Set();
  for (const line of proseLines(text)) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]);
    let candidate = base;
    let n = seen.get(base) ?? 0;
    while (result.has(candidate)) candidate = `${base}-${++n}`;
    seen.set(base, n);
    result.add(candidate);
  }
  return result;
}

/** Link targets of inline Markdown links outside code (code spans removed first). */
export function links(text) {
  const targets = [];
  for (const line of proseLines(text)) {
    const bare = line.replace(/`[^`]*`/g, '');
    for (const m of bare.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(m[1]);
  }
  return targets;
}

// ---------------------------------------------------------------------------
// Mojibake: UTF-8 bytes read as Windows-1252 or as Mac Roman.

const CP1252_HIGH =
  '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ' +
  Array.from({ length: 0x60 }, (_, i) => String.fromCharCode(0xa0 + i)).join('');
const MAC_ROMAN_HIGH =
  'ÄÅÇÉÑÖÜáàâäãåçéèêëíìîïñóòôöõúùûü†°¢£§•¶ß®©™´¨≠ÆØ∞±≤≥¥µ∂∑∏π∫ªºΩæø' +
  '¿¡¬√ƒ≈∆«»…\u00A0ÀÃÕŒœ–—“”‘’÷◊ÿŸ⁄€‹›ﬁﬂ‡·‚„‰ÂÊÁËÈÍÎÏÌÓÔ\uF8FFÒÚÛÙıˆ˜¯˘˙˚¸˝˛ˇ';

const byteMap = (high) => new Map([...high].map((ch, i) => [ch, 0x80 + i]));
// Latin-1 differs from Windows-1252 only in 0x80-0x9F, where it has the C1 controls: accept both.
const LATIN1_C1 = Array.from({ length: 0x20 }, (_, i) => [String.fromCharCode(0x80 + i), 0x80 + i]);
const CODEPAGES = {
  'Windows-1252/Latin-1': new Map([...LATIN1_C1, ...byteMap(CP1252_HIGH)]),
  'Mac Roman': byteMap(MAC_ROMAN_HIGH),
};

/** Decodes `text` (UTF-8 bytes) as if it were Mac Roman: the damage seen in the French seed. */
export function asMacRoman(text) {
  return [...Buffer.from(text, 'utf8')].map((b) => (b < 0x80 ? String.fromCharCode(b) : MAC_ROMAN_HIGH[b - 0x80])).join('');
}

// Explicit sequences named in the brief, plus U+FFFD and UTF-8 BOM read as Latin text.
const MOJIBAKE_LITERALS = ['Ã', 'â€', '√©', 'ä¸', 'Ã©', '\uFFFD', '‚Äô', '‚Äú', '‚Ä', 'ï»¿', 'ï¿½'];

/**
 * Finds runs that are UTF-8 multi-byte sequences spelled in a single-byte code page.
 * Windows-1252 or Latin-1: any valid sequence of 2+ bytes. Mac Roman: 2-byte sequences led by `√`
 * (U+00C0–U+00FF, accented Latin) and any 3- or 4-byte sequence (CJK, Hangul, punctuation);
 * other 2-byte Mac Roman leads are ordinary French typography (’é, «À).
 */
export function findMojibake(text) {
  const found = [];
  for (const lit of MOJIBAKE_LITERALS) if (text.includes(lit)) found.push(lit);
  for (const [name, map] of Object.entries(CODEPAGES)) {
    const chars = [...text];
    for (let i = 0; i < chars.length; i++) {
      const lead = map.get(chars[i]);
      if (lead === undefined) continue;
      const len = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
      if (len === 0) continue;
      const tail = chars.slice(i + 1, i + len).map((c) => map.get(c));
      if (tail.length !== len - 1 || tail.some((b) => b === undefined || b < 0x80 || b > 0xbf)) continue;
      if (name === 'Mac Roman' && len === 2 && chars[i] !== '√') continue;
      const decoded = Buffer.from([lead, ...tail]).toString('utf8');
      if (decoded.includes('\uFFFD')) continue;
      found.push(`${name}: "${chars.slice(i, i + len).join('')}" (= "${decoded}")`);
    }
  }
  return found;
}

// ---------------------------------------------------------------------------

test('mojibake detector catches both kinds of damage and spares clean text', () => {
  const samples = ['vérification', '验证码', '인증 코드', 'l’été « À »', '发信地址'];
  for (const s of samples) {
    assert.deepEqual(findMojibake(s), [], `clean text flagged: ${s}`);
    assert.notDeepEqual(findMojibake(Buffer.from(s, 'utf8').toString('latin1')), [], `latin-1 damage of ${s}`);
    assert.notDeepEqual(findMojibake(asMacRoman(s)), [], `Mac Roman damage of ${s}`);
  }
});

test('slug follows GitHub, including CJK and Hangul headings', () => {
  assert.equal(slug('Creating an AccessKey'), 'creating-an-accesskey');
  assert.equal(slug('编写连接器配置（JSON）'), '编写连接器配置json');
  assert.equal(slug('`regionId` 와 엔드포인트'), 'regionid-와-엔드포인트');
  assert.equal(slug("Créer une clé d'accès"), 'créer-une-clé-daccès');
  assert.deepEqual([...anchors('# A\n## A\n```\n# A\n```\n### A')], ['a', 'a-1', 'a-2']);
});

for (const connector of Object.keys(CONNECTORS)) {
  const { top, template, factoryId } = CONNECTORS[connector];

  test(`${connector}: a README in each of the four languages`, () => {
    for (const file of LANGUAGES) assert.ok(existsSync(join(here, connector, file)), `${connector}/${file} is missing`);
  });

  for (const file of LANGUAGES) {
    const path = join(here, connector, file);
    if (!existsSync(path)) continue;
    const bytes = read(connector, file);
    const text = bytes.toString('utf8');

    test(`${connector}/${file}: valid UTF-8 without BOM`, () => {
      assert.ok(!(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf), 'starts with a BOM');
      assert.doesNotThrow(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    });

    test(`${connector}/${file}: no mojibake`, () => {
      assert.deepEqual(findMojibake(text), []);
    });

    test(`${connector}/${file}: links to its three siblings at the top`, () => {
      const head = text.split('\n').slice(0, 5).join('\n');
      for (const sibling of LANGUAGES.filter((f) => f !== file)) {
        assert.ok(head.includes(`(./${sibling})`), `no link to ./${sibling} in the first lines`);
      }
    });

    test(`${connector}/${file}: every relative link and anchor resolves`, () => {
      const own = anchors(text);
      for (const target of links(text)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        const [pathPart, hash] = target.split('#');
        let defined = own;
        if (pathPart) {
          const dest = resolve(dirname(path), decodeURIComponent(pathPart));
          assert.ok(existsSync(dest), `broken link ${target}`);
          if (hash === undefined) continue;
          assert.ok(statSync(dest).isFile() && dest.endsWith('.md'), `anchor into a non-Markdown target ${target}`);
          defined = anchors(readFileSync(dest, 'utf8'));
        }
        if (hash !== undefined) {
          assert.ok(defined.has(decodeURIComponent(hash)), `anchor #${hash} of ${target} does not exist`);
        }
      }
    });

    test(`${connector}/${file}: names every config key in backticks`, () => {
      for (const key of [...top, ...template]) assert.ok(text.includes(`\`${key}\``), `\`${key}\` is not mentioned`);
      for (const type of USAGE_TYPES) assert.ok(text.includes(`\`${type}\``), `usage type \`${type}\` is not mentioned`);
      assert.ok(text.includes(`\`${factoryId}\``), `factory id \`${factoryId}\` is not mentioned`);
    });
  }

  test(`${connector}: docs/config-template.json is a complete, valid example`, () => {
    const bytes = read(connector, 'docs/config-template.json');
    const config = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    for (const key of Object.keys(config)) assert.ok(top.includes(key), `unknown key ${key}`);
    assert.ok(Array.isArray(config.templates) && config.templates.length > 0, 'templates must be a non-empty array');
    for (const [i, item] of config.templates.entries()) {
      for (const key of Object.keys(item)) assert.ok(template.includes(key), `templates[${i}]: unknown key ${key}`);
      assert.ok(USAGE_TYPES.includes(item.usageType), `templates[${i}].usageType ${item.usageType}`);
    }
    const types = new Set(config.templates.map((t) => t.usageType));
    for (const type of REQUIRED_USAGE_TYPES) assert.ok(types.has(type), `no template for required usage type ${type}`);
    for (const type of USAGE_TYPES) assert.ok(types.has(type), `the example should show usage type ${type}`);
    const required = connector === 'aliyun-dm' ? ['accessKeyId', 'accessKeySecret', 'accountName', 'regionId'] : ['accessKeyId', 'accessKeySecret', 'signName'];
    for (const key of required) assert.equal(typeof config[key], 'string', `${key} must be a string`);
    if (connector === 'aliyun-dm') {
      for (const t of config.templates) {
        assert.equal(typeof t.subject, 'string');
        assert.equal(typeof t.content, 'string');
        if (t.contentType !== undefined) assert.ok(['text/html', 'text/plain'].includes(t.contentType));
      }
    } else {
      assert.ok(
        config.templates.some((t) => typeof t.templateCode === 'object' && t.templateCode.china && t.templateCode.overseas),
        'show one { china, overseas } templateCode',
      );
      for (const t of config.templates) assert.ok(typeof t.templateCode === 'string' || typeof t.templateCode === 'object');
    }
  });

  test(`${connector}: logo.svg is a small SVG`, () => {
    const bytes = read(connector, 'logo.svg');
    assert.ok(bytes.length < 2048, `logo.svg is ${bytes.length} bytes`);
    const svg = bytes.toString('utf8');
    assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg.trim(), /<\/svg>$/);
  });
}
