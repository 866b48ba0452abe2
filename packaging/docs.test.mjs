// Checks on the operator documentation shipped with the two connector packages.
// Run with: node --test packaging/   (Node 20; on Node 22+ pass the file: node --test packaging/docs.test.mjs)
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { requiredUsageTypes, usageTypes } from '../scripts/config-facts.mjs';

const here = dirname(fileURLToPath(import.meta.url));

const LANGUAGES = ['README.md', 'README.zh-CN.md', 'README.fr.md', 'README.ko.md'];

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
  'aliyun-sms-auth': {
    factoryId: 'aliyun-sms-auth-wasm',
    top: [
      'accessKeyId',
      'accessKeySecret',
      'signName',
      'templates',
      'codeValidityMinutes',
      'endpoint',
      'securityToken',
      'timeoutMs',
    ],
    template: ['usageType', 'templateCode', 'locale'],
  },
};

const read = (connector, file) => readFileSync(join(here, connector, file));

// The official connectors these replace: factory id (`metadata.id`) and `target`, as in Logto's
// packages/connectors/connector-aliyun-{dm,sms,sms-mas}/src/constant.ts. A test below checks them
// against the official packages, installed as devDependencies.
export const OFFICIAL = {
  'aliyun-dm': { pkg: '@logto/connector-aliyun-dm', id: 'aliyun-direct-mail', target: 'aliyun-dm' },
  'aliyun-sms': {
    pkg: '@logto/connector-aliyun-sms',
    id: 'aliyun-short-message-service',
    target: 'aliyun-sms',
  },
  'aliyun-sms-auth': {
    pkg: '@logto/connector-aliyun-sms-mas',
    id: 'aliyun-short-message-auth-service',
    target: 'aliyun-sms-mas',
  },
};

// The system templates of Aliyun's SMS authentication service (号码认证 → 短信认证参数配置 →
// 赠送模板配置); `templateCode` of an aliyun-sms-auth template is one of these.
const SYSTEM_TEMPLATE_CODES = ['100001', '100002', '100003', '100004', '100005'];

const metadataOf = (connector) =>
  JSON.parse(readFileSync(join(here, '..', 'src', 'metadata', `${connector}.json`), 'utf8'));
const METADATA_LANGUAGES = ['en', 'zh-CN', 'fr', 'ko', 'tr-TR'];

// ---------------------------------------------------------------------------
// What fits in Logto's admin console (packages/console/src), for a window 1280 px wide.

/** Columns a string takes in a monospace font: CJK, Hangul and fullwidth characters take two. */
export function columns(text) {
  let n = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0);
    const wide =
      (c >= 0x1100 && c <= 0x115f) ||
      (c >= 0x2e80 && c <= 0xa4cf) ||
      (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) ||
      (c >= 0xfe30 && c <= 0xfe4f) ||
      (c >= 0xff00 && c <= 0xff60) ||
      (c >= 0xffe0 && c <= 0xffe6) ||
      (c >= 0x20000 && c <= 0x3fffd);
    n += wide ? 2 : 1;
  }
  return n;
}

// The guide page (pages/Connectors/Guide/index.module.scss) puts the README and the form side by
// side: `.content` has 24 px padding on each side and scrolls vertically beside the long form (a
// 16 px scrollbar, scss/normalized.scss); `.readme` keeps 24 px to its right; both columns are
// `flex: 1`. `.content` has `min-width: min-content`, so anything that does not wrap and is wider
// than its column widens the whole page, pushing the form's right edge off-screen.
const WINDOW = 1280;
const COLUMN = (WINDOW - 16 - 2 * 24 - 24) / 2; // 596 px each
const README_TEXT = COLUMN - 2 * 1.5 - 2 * 24; // .readme border, .readmeContent padding: 545 px
const FORM_TEXT = COLUMN - 2 * 24; // .setup .block padding: 548 px
// Code blocks of the README (components/Markdown) and JSON form fields (ConfigFormFields) are
// ds-components/CodeEditor: 16 px + 24 px inline padding, line numbers `digits ch + 20px` wide, and
// 'Roboto Mono' 14 px, which the console bundles (@fontsource/roboto-mono): 0.6 em a character.
// Its lines never wrap (`white-space: pre`); a CJK or Hangul character is 1 em, counted as two.
const MONO = 14 * 0.6;
/** The longest line (columns) a code editor `textWidth` px wide shows without widening the page. */
export const codeColumns = (textWidth, lineCount) =>
  Math.floor((textWidth - (16 + 24) - (String(lineCount).length * MONO + 20)) / MONO);
// 55 columns for a README code block of 10 to 99 lines (56 below 10 lines), 56 for the form.

// The connector picker (components/CreateConnectorForm, ConnectorRadio) shows email and SMS
// connectors as three cards in a row of a `large` modal: 784 px less 2 × 24 px padding and two
// 16 px gaps; in a card, 2 × 12 px padding, 2 × 1 px border, the 40 px logo and a 12 px gap leave
// 156.67 px for the text. The name (500 14px) is cut to one line, and on the selected card the
// 21 px check mark covers its end: 135 px. DejaVu Sans, the widest system font the console may
// get, takes about 8 px a Latin character at that size and 14 px a CJK or Hangul one (two columns).
export const NAME_COLUMNS = 17;
// The description (400 12px/16px) is cut after four lines of 156.67 px: 19 to 26 Latin characters
// a line, depending on the font and where words break. The word that tells ours from the official
// connector ("Wasm") must be on the first line; about 100 columns fill four lines in DejaVu Sans
// (6.3 px a character) when words break well, so a text near that should be checked in a browser.
export const DESCRIPTION_FIRST_LINE_COLUMNS = 19;
export const DESCRIPTION_COLUMNS = 100;

/** Fenced code blocks of a Markdown text: `{ lang, lines, start }`, start the fence's line (1-based). */
export function codeBlocks(text) {
  const blocks = [];
  let open = null;
  for (const [i, line] of text.split('\n').entries()) {
    const m = /^\s*(`{3,}|~{3,})\s*([^\s`]*)/.exec(line);
    if (open === null) {
      if (m) open = { fence: m[1], lang: m[2], lines: [], start: i + 1 };
    } else if (m && m[1][0] === open.fence[0] && m[1].length >= open.fence.length && m[2] === '') {
      blocks.push(open);
      open = null;
    } else {
      open.lines.push(line);
    }
  }
  return blocks;
}

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

/**
 * The usage type → template code table of a README: rows whose first cell is a usage type and
 * whose second is a six-digit code, both in backticks. Returns `[usageType, code]` pairs in order.
 */
export function usageTemplateRows(text) {
  const rows = [];
  for (const line of proseLines(text)) {
    const m = /^\s*\|\s*`(\w+)`\s*\|\s*`(\d{6})`\s*\|/.exec(line);
    if (m && usageTypes.includes(m[1])) rows.push([m[1], m[2]]);
  }
  return rows;
}

/** The `templates` a connector's console form starts with (its Json form item's default). */
const defaultTemplates = (metadata) =>
  metadata.formItems.find((item) => item.key === 'templates')?.defaultValue ?? [];

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
  return [...Buffer.from(text, 'utf8')]
    .map((b) => (b < 0x80 ? String.fromCharCode(b) : MAC_ROMAN_HIGH[b - 0x80]))
    .join('');
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
      const len =
        lead >= 0xc2 && lead <= 0xdf
          ? 2
          : lead >= 0xe0 && lead <= 0xef
            ? 3
            : lead >= 0xf0 && lead <= 0xf4
              ? 4
              : 0;
      if (len === 0) continue;
      const tail = chars.slice(i + 1, i + len).map((c) => map.get(c));
      if (tail.length !== len - 1 || tail.some((b) => b === undefined || b < 0x80 || b > 0xbf))
        continue;
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
    assert.notDeepEqual(
      findMojibake(Buffer.from(s, 'utf8').toString('latin1')),
      [],
      `latin-1 damage of ${s}`,
    );
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
    for (const file of LANGUAGES)
      assert.ok(existsSync(join(here, connector, file)), `${connector}/${file} is missing`);
  });

  for (const file of LANGUAGES) {
    const path = join(here, connector, file);
    if (!existsSync(path)) continue;
    const bytes = read(connector, file);
    const text = bytes.toString('utf8');

    test(`${connector}/${file}: valid UTF-8 without BOM`, () => {
      assert.ok(
        !(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf),
        'starts with a BOM',
      );
      assert.doesNotThrow(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    });

    test(`${connector}/${file}: no mojibake`, () => {
      assert.deepEqual(findMojibake(text), []);
    });

    if (file === 'README.md') {
      // The console shows README.md (metadata.readme) inside its page: a relative link there opens
      // /console/connectors/passwordless/README.zh-CN.md, a 404 that leaves the half-filled form.
      test(`${connector}/${file}: names its three translations as files near the top`, () => {
        const head = text.split('\n').slice(0, 6).join('\n');
        for (const sibling of LANGUAGES.filter((f) => f !== file)) {
          assert.ok(
            head.includes(`\`${sibling}\``),
            `\`${sibling}\` is not named in the first lines`,
          );
        }
      });

      test(`${connector}/${file}: reads well inside the console (absolute links, no images)`, () => {
        for (const target of links(text)) {
          assert.match(
            target,
            /^https:\/\//,
            `link ${target}: the console resolves it against its page`,
          );
        }
        const prose = proseLines(text).map((line) => line.replace(/`[^`]*`/g, ''));
        for (const line of prose) {
          // components/Markdown prefixes every image with raw.githubusercontent.com/logto-io/logto.
          assert.doesNotMatch(line, /!\[[^\]]*\]\(/, `image in: ${line}`);
          assert.doesNotMatch(line, /<(a|img)\b/i, `raw HTML in: ${line}`);
          assert.doesNotMatch(line, /^\s*\[[^\]]+\]:\s*\S/, `reference link definition: ${line}`);
        }
      });
    } else {
      test(`${connector}/${file}: links to its three siblings at the top`, () => {
        const head = text.split('\n').slice(0, 5).join('\n');
        for (const sibling of LANGUAGES.filter((f) => f !== file)) {
          assert.ok(head.includes(`(./${sibling})`), `no link to ./${sibling} in the first lines`);
        }
      });
    }

    // Kept in every language so that the four stay in step with the one the console shows.
    test(`${connector}/${file}: no in-page anchors (they do nothing in the console)`, () => {
      for (const target of links(text)) assert.ok(!target.includes('#'), `anchor link ${target}`);
    });

    test(`${connector}/${file}: code blocks name their language and fit the code editor`, () => {
      const blocks = codeBlocks(text);
      assert.ok(blocks.length > 0);
      for (const { lang, lines, start } of blocks) {
        // Only a block with a language becomes a CodeEditor; a bare one is unstyled and unwrapped.
        assert.ok(lang, `the block at line ${start} names no language`);
        const limit = codeColumns(README_TEXT, lines.length);
        for (const [i, line] of lines.entries()) {
          assert.ok(
            columns(line) <= limit,
            `line ${start + 1 + i} is ${columns(line)} columns, over ${limit}: ${line}`,
          );
        }
      }
    });

    test(`${connector}/${file}: no unbreakable run of text wider than the README column`, () => {
      const limit = codeColumns(README_TEXT, 99);
      for (const line of proseLines(text)) {
        const shown = line.replace(/\]\([^)]*\)/g, ']');
        // Runs of characters with no break opportunity: CJK and Hangul break anywhere, spaces too.
        const breaks = /[\s\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uff00-\uff60]+/u;
        for (const run of shown.split(breaks)) {
          assert.ok(columns(run) <= limit, `${columns(run)} columns without a break: ${run}`);
        }
      }
    });

    test(`${connector}/${file}: the official factory id is ${OFFICIAL[connector].id}`, () => {
      const { id, target } = OFFICIAL[connector];
      assert.ok(text.includes(`\`${id}\``), `\`${id}\` is not named`);
      for (const line of text.split('\n')) {
        if (!line.includes(`\`${target}\``)) continue;
        assert.match(
          line,
          /`target`/,
          `\`${target}\` named without saying it is the target: ${line}`,
        );
      }
    });

    test(`${connector}/${file}: shows the Docker install (compose volume and derived image)`, () => {
      assert.ok(text.includes('/etc/logto/packages/core/connectors/'));
      // Lines joined where a YAML value or a Dockerfile instruction continues on the next one.
      const blocks = codeBlocks(text).map(({ lang, lines }) => ({
        lang,
        code: lines
          .join('\n')
          .replace(/:\n\s+\//g, ': /')
          .replace(/\s*\\\n\s*/g, ' '),
      }));
      const target = /\/etc\/logto\/packages\/core\/connectors\/[\w-]+/;
      const compose = blocks.find(
        ({ lang, code }) => lang === 'yaml' && /^\s*volumes:/m.test(code),
      );
      assert.ok(compose, 'no compose volume');
      assert.match(compose.code, new RegExp(`^\\s*target: ${target.source}$`, 'm'));
      const image = blocks.find(({ lang }) => lang === 'dockerfile');
      assert.ok(image, 'no derived image');
      const instructions = image.code.split('\n').filter((line) => line.trim() !== '');
      assert.equal(instructions.length, 2, image.code);
      assert.match(instructions[0], /^FROM svhd\/logto:/);
      assert.match(instructions[1], new RegExp(`^COPY connector-${connector} ${target.source}$`));
      assert.match(text, /Alpine/, 'does not say that nothing is compiled on Alpine');
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
          assert.ok(
            statSync(dest).isFile() && dest.endsWith('.md'),
            `anchor into a non-Markdown target ${target}`,
          );
          defined = anchors(readFileSync(dest, 'utf8'));
        }
        if (hash !== undefined) {
          assert.ok(
            defined.has(decodeURIComponent(hash)),
            `anchor #${hash} of ${target} does not exist`,
          );
        }
      }
    });

    if (connector === 'aliyun-sms-auth') {
      const metadata = metadataOf(connector);
      const expected = defaultTemplates(metadata).map(({ usageType, templateCode }) => [
        usageType,
        templateCode,
      ]);

      test(`${connector}/${file}: the usage type → template table matches the form's default templates`, () => {
        assert.equal(
          expected.length,
          usageTypes.length,
          'the form should start with a template for each usage type',
        );
        const rows = usageTemplateRows(text);
        assert.deepEqual(
          rows.map(([type]) => type).filter((type, i, all) => all.indexOf(type) !== i),
          [],
          'a usage type listed twice',
        );
        assert.deepEqual(new Map(rows), new Map(expected));
      });

      test(`${connector}/${file}: the complete example uses the form's default templates`, () => {
        const example = codeBlocks(text).find(
          ({ lang, lines }) => lang === 'json' && lines.some((l) => l.includes('"templates"')),
        );
        assert.ok(example, 'no JSON example with templates');
        const config = JSON.parse(example.lines.join('\n'));
        assert.deepEqual(
          config.templates.map(({ usageType, templateCode }) => [usageType, templateCode]),
          expected,
        );
      });

      test(`${connector}/${file}: lists the five system templates`, () => {
        for (const code of SYSTEM_TEMPLATE_CODES) {
          assert.ok(
            proseLines(text).some((line) => line.startsWith(`| \`${code}\` |`)),
            `no row for ${code}`,
          );
        }
      });
    }

    test(`${connector}/${file}: names every config key in backticks`, () => {
      for (const key of [...top, ...template])
        assert.ok(text.includes(`\`${key}\``), `\`${key}\` is not mentioned`);
      for (const type of usageTypes)
        assert.ok(text.includes(`\`${type}\``), `usage type \`${type}\` is not mentioned`);
      assert.ok(text.includes(`\`${factoryId}\``), `factory id \`${factoryId}\` is not mentioned`);
    });
  }

  test(`${connector}: docs/config-template.json is a complete, valid example`, () => {
    const bytes = read(connector, 'docs/config-template.json');
    const config = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    for (const key of Object.keys(config)) assert.ok(top.includes(key), `unknown key ${key}`);
    assert.ok(
      Array.isArray(config.templates) && config.templates.length > 0,
      'templates must be a non-empty array',
    );
    for (const [i, item] of config.templates.entries()) {
      for (const key of Object.keys(item))
        assert.ok(template.includes(key), `templates[${i}]: unknown key ${key}`);
      assert.ok(usageTypes.includes(item.usageType), `templates[${i}].usageType ${item.usageType}`);
    }
    const types = new Set(config.templates.map((t) => t.usageType));
    for (const type of requiredUsageTypes[connector])
      assert.ok(types.has(type), `no template for required usage type ${type}`);
    for (const type of usageTypes)
      assert.ok(types.has(type), `the example should show usage type ${type}`);
    const required =
      connector === 'aliyun-dm'
        ? ['accessKeyId', 'accessKeySecret', 'accountName', 'regionId']
        : ['accessKeyId', 'accessKeySecret', 'signName'];
    for (const key of required)
      assert.equal(typeof config[key], 'string', `${key} must be a string`);
    if (connector === 'aliyun-sms-auth') {
      assert.deepEqual(
        config.templates.map(({ usageType, templateCode }) => ({ usageType, templateCode })),
        defaultTemplates(metadataOf(connector)),
        'the README calls it the same configuration as its complete example, the form default',
      );
      for (const t of config.templates) {
        assert.ok(
          SYSTEM_TEMPLATE_CODES.includes(t.templateCode),
          `${t.usageType}: ${t.templateCode} is not a system template code`,
        );
      }
      const minutes = config.codeValidityMinutes;
      if (minutes !== undefined)
        assert.ok(
          Number.isInteger(minutes) && minutes >= 1 && minutes <= 60,
          `codeValidityMinutes ${minutes}`,
        );
    } else if (connector === 'aliyun-dm') {
      for (const t of config.templates) {
        assert.equal(typeof t.subject, 'string');
        assert.equal(typeof t.content, 'string');
        if (t.contentType !== undefined)
          assert.ok(['text/html', 'text/plain'].includes(t.contentType));
      }
    } else {
      assert.ok(
        config.templates.some(
          (t) =>
            typeof t.templateCode === 'object' && t.templateCode.china && t.templateCode.overseas,
        ),
        'show one { china, overseas } templateCode',
      );
      for (const t of config.templates)
        assert.ok(typeof t.templateCode === 'string' || typeof t.templateCode === 'object');
    }
  });

  const metadata = metadataOf(connector);

  test(`${connector}: metadata names fit the connector picker's card and say Wasm`, () => {
    for (const lang of METADATA_LANGUAGES) {
      const name = metadata.name[lang];
      assert.equal(typeof name, 'string', `name.${lang}`);
      assert.ok(columns(name) <= NAME_COLUMNS, `name.${lang} "${name}": ${columns(name)} columns`);
      assert.match(name, /\(Wasm\)$/, `name.${lang}`);
      assert.deepEqual(findMojibake(name), []);
    }
  });

  test(`${connector}: metadata descriptions say Wasm on their first line, fit four lines`, () => {
    for (const lang of METADATA_LANGUAGES) {
      const description = metadata.description[lang];
      assert.equal(typeof description, 'string', `description.${lang}`);
      const at = description.indexOf('Wasm');
      assert.ok(at >= 0, `description.${lang} does not say Wasm`);
      const end = columns(description.slice(0, at + 'Wasm'.length));
      assert.ok(
        end <= DESCRIPTION_FIRST_LINE_COLUMNS,
        `description.${lang}: "Wasm" ends at ${end}`,
      );
      assert.ok(
        columns(description) <= DESCRIPTION_COLUMNS,
        `description.${lang} is ${columns(description)} columns, over ${DESCRIPTION_COLUMNS}`,
      );
      assert.deepEqual(findMojibake(description), []);
    }
  });

  test(`${connector}: every form item has a description, and no label says optional`, () => {
    assert.ok(metadata.formItems.length > 0);
    for (const item of metadata.formItems) {
      const { description } = item;
      assert.ok(
        typeof description === 'string' && description.trim() !== '',
        `${item.key}: no description`,
      );
      // The console marks required fields itself ("Required"), from `required`.
      assert.doesNotMatch(item.label, /optional/i, `${item.key}: label "${item.label}"`);
      assert.deepEqual(findMojibake(`${item.label} ${item.description}`), []);
    }
  });

  // A connector with formItems gets this form; docs/config-template.json is shown only to one
  // without (console: utils/connector-form.ts, ConnectorForm/ConfigForm), so it has no limit here.
  test(`${connector}: the JSON the form shows by default fits the form's code editor`, () => {
    const jsonItems = metadata.formItems.filter((item) => item.type === 'Json');
    assert.ok(jsonItems.length > 0);
    for (const item of jsonItems) {
      // As the console writes it into the editor (utils/connector-form.ts, initFormData).
      const lines = JSON.stringify(item.defaultValue, null, 2).split('\n');
      const limit = codeColumns(FORM_TEXT, lines.length);
      for (const line of lines) {
        assert.ok(
          columns(line) <= limit,
          `${item.key}: ${columns(line)} columns, over ${limit}: ${line}`,
        );
      }
    }
  });

  test(`${connector}: OFFICIAL matches the installed ${OFFICIAL[connector].pkg}`, async () => {
    const { pkg, id, target } = OFFICIAL[connector];
    assert.equal(metadata.target, target, 'ours keeps the official target');
    assert.notEqual(metadata.id, id, 'ours has its own factory id');
    const { default: createConnector } = await import(pkg);
    const official = await createConnector({
      getConfig: () => {
        throw new Error('not_implemented');
      },
    });
    assert.equal(official.metadata.id, id);
    assert.equal(official.metadata.target, target);
    for (const lang of METADATA_LANGUAGES) {
      const officialName = official.metadata.name[lang];
      if (officialName) assert.notEqual(metadata.name[lang], officialName, lang);
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

test('the repository docs spell the official factory ids right', () => {
  const root = join(here, '..');
  const files = [join(root, 'README.md'), join(root, 'CHANGELOG.md')];
  for (const { target } of Object.values(OFFICIAL)) {
    for (const file of files) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line.includes(`\`${target}\``)) continue;
        assert.match(line, /`target`/, `${file}: \`${target}\` not called the target: ${line}`);
      }
    }
  }
});

test('usageTemplateRows reads only usage type → six-digit code rows', () => {
  const text = [
    '| Usage type | Template |',
    '| `SignIn` | `100001` | when |',
    '| `100002` | changing the phone |',
    '| `Foo` | `100003` |',
    '```md',
    '| `Register` | `100004` |',
    '```',
    '| `BindMfa` | `100005` |',
  ].join('\n');
  assert.deepEqual(usageTemplateRows(text), [
    ['SignIn', '100001'],
    ['BindMfa', '100005'],
  ]);
});

test('the console layout gives the limits the comments state', () => {
  assert.equal(COLUMN, 596);
  assert.equal(codeColumns(README_TEXT, 9), 56);
  assert.equal(codeColumns(README_TEXT, 99), 55);
  assert.equal(codeColumns(FORM_TEXT, 99), 56);
  assert.equal(columns('阿里云短信 (Wasm)'), 17);
  assert.deepEqual(
    codeBlocks('a\n```json\n{}\n```\n````md\n```\nx\n````\n').map((b) => [b.lang, b.lines.length]),
    [
      ['json', 1],
      ['md', 2],
    ],
  );
});
