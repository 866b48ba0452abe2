// The built packages as Logto sees them: installed by `logto connector add`'s own code into a
// Logto-like instance, loaded by @logto/cli's loader, checked against connector-kit's guards.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import kitPackage from '@logto/connector-kit/package.json' with { type: 'json' };
import { ConnectorError, connectorMetadataGuard, validateConfig } from '@logto/connector-kit';
import semver from 'semver';

import { distDir, kinds, logtoHost } from './host.mjs';

// The official connector each package replaces: the oracle for its type and target.
const officialPackages = {
  'aliyun-dm': '@logto/connector-aliyun-dm',
  'aliyun-sms': '@logto/connector-aliyun-sms',
  'aliyun-sms-auth': '@logto/connector-aliyun-sms-mas',
};

const officials = new Map();
/** The official connector of a kind, created as Logto's loader creates it. */
const officialOf = (kind) => {
  if (!officials.has(kind)) {
    officials.set(
      kind,
      import(officialPackages[kind]).then(({ default: createOfficial }) =>
        createOfficial({ getConfig: async () => ({}) }),
      ),
    );
  }
  return officials.get(kind);
};

let host;
before(async () => {
  host = await logtoHost();
});
after(() => host?.close());

const readManifest = (dir) => JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));

/**
 * Bare specifiers imported or required by a JS file (ESM `from '…'`, `import('…')`,
 * `require('…')`), each with whether it is a dynamic `import()`.
 */
const bareSpecifiers = (file) => {
  const text = fs.readFileSync(file, 'utf8');
  const found = [
    ...text.matchAll(/(\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)['"]([^'"]+)['"]/g),
  ].map(([, how, specifier]) => ({ specifier, dynamic: how.startsWith('import') }));
  return found.filter(({ specifier }) => !specifier.startsWith('.') && !specifier.startsWith('/'));
};

test('every package the build makes names the official connector it replaces', () => {
  assert.deepEqual(Object.keys(kinds).sort(), Object.keys(officialPackages).sort());
});

for (const [kind, { packageName }] of Object.entries(kinds)) {
  describe(`${packageName} in a Logto-like host`, () => {
    test('was installed and loaded by @logto/cli (not skipped by the loader)', () => {
      assert.ok(
        host.packages.some(({ name }) => name === packageName),
        'getConnectorPackagesFromDirectory found it',
      );
      const factory = host.factoryOf(kind);
      assert.equal(typeof factory.createConnector, 'function');
    });

    test('name has the connector- prefix Logto looks for', () => {
      const { name } = readManifest(host.dirOf(kind));
      assert.equal(name, packageName);
      assert.match(name, /^(?:@[^/]+\/)?connector-/);
    });

    test('depends on @logto/connector-kit only, with a range the host kit satisfies', () => {
      const { dependencies, peerDependencies, type: moduleType } = readManifest(host.dirOf(kind));
      assert.deepEqual(Object.keys(dependencies), ['@logto/connector-kit']);
      assert.equal(peerDependencies, undefined);
      assert.ok(
        semver.satisfies('5.1.1', dependencies['@logto/connector-kit']),
        '5.1.1 satisfies the range',
      );
      assert.ok(
        semver.satisfies(kitPackage.version, dependencies['@logto/connector-kit']),
        `the installed kit ${kitPackage.version} satisfies the range`,
      );
      assert.equal(moduleType, 'module');
    });

    test('ships no code that imports anything but node: built-ins and the kit', () => {
      const dir = host.dirOf(kind);
      const files = [
        ...fs
          .readdirSync(path.join(dir, 'lib'))
          .filter((file) => file.endsWith('.js'))
          .map((file) => path.join(dir, 'lib', file)),
        path.join(dir, 'pkg', 'aliyun_connectors.js'),
      ];
      for (const file of files) {
        for (const { specifier } of bareSpecifiers(file)) {
          assert.ok(
            specifier.startsWith('node:') ||
              ['fs', 'util', 'path'].includes(specifier) ||
              specifier === '@logto/connector-kit',
            `${path.relative(dir, file)} imports ${specifier}, which \`logto connector add\` would not install`,
          );
        }
        assert.ok(
          !/\bclass ZodError\b/.test(fs.readFileSync(file, 'utf8')),
          `${path.relative(dir, file)} bundles zod`,
        );
      }
      assert.deepEqual(
        files.map((file) => path.relative(dir, file)),
        [path.join('lib', 'index.js'), path.join('pkg', 'aliyun_connectors.js')],
        'the shim ships as one module, which Logto imports at start-up',
      );
      assert.equal(fs.existsSync(path.join(dir, 'node_modules')), false, 'no node_modules shipped');
    });

    test("the metadata the bundle carries is what the package's own core answers to getMetadata", async () => {
      const dir = host.dirOf(kind);
      const { default: createConnector } = await import(
        pathToFileURL(path.join(dir, 'lib', 'index.js')).href
      );
      const { metadata } = await createConnector({ getConfig: async () => ({}) });
      const glue = createRequire(import.meta.url)(path.join(dir, 'pkg', 'aliyun_connectors.js'));
      const envelope = glue.getMetadata(kind);
      assert.equal(envelope.ok, true);
      assert.deepEqual(metadata, envelope.value);
    });

    test('createConnector loads no Wasm: the module is compiled on the first call that needs it', () => {
      const dir = host.dirOf(kind);
      const script = [
        `const { default: create } = await import(${JSON.stringify(pathToFileURL(path.join(dir, 'lib', 'index.js')).href)});`,
        `const compiled = [];`,
        `const Module = WebAssembly.Module;`,
        `WebAssembly.Module = function (...args) { compiled.push(1); return new Module(...args); };`,
        `const connector = await create({ getConfig: async () => ({}) });`,
        `const before = compiled.length;`,
        `connector.configGuard.safeParse({});`,
        `console.log(JSON.stringify({ before, after: compiled.length, id: connector.metadata.id }));`,
      ].join('\n');
      const out = JSON.parse(
        execFileSync(process.execPath, ['--input-type=module', '-e', script], {
          cwd: dir,
        }).toString(),
      );
      assert.deepEqual(out, { before: 0, after: 1, id: `${kind}-wasm` });
    });

    test('the glue stays CommonJS inside the "type": "module" package', () => {
      const pkgManifest = readManifest(path.join(host.dirOf(kind), 'pkg'));
      assert.equal(pkgManifest.type, undefined, 'pkg/package.json has no "type"');
    });

    test('lib/index.js default-exports createConnector, which resolves without calling getConfig', async () => {
      const { default: createConnector } = await import(
        pathToFileURL(path.join(host.dirOf(kind), 'lib', 'index.js')).href
      );
      assert.equal(typeof createConnector, 'function');
      let calls = 0;
      const connector = await createConnector({
        getConfig: () => {
          calls += 1;
          throw new Error('not_implemented');
        },
      });
      assert.equal(calls, 0);
      assert.equal(connector.type, (await officialOf(kind)).type);
      assert.equal(typeof connector.sendMessage, 'function');
      assert.equal(typeof connector.configGuard?.safeParse, 'function');
    });

    test('metadata passes connectorMetadataGuard after parseMetadata inlines logo and readme', () => {
      const { metadata } = host.factoryOf(kind);
      const result = connectorMetadataGuard.safeParse(metadata);
      assert.ok(result.success, JSON.stringify(result.error?.issues));
      assert.equal(metadata.platform, null);
      assert.equal(metadata.logoDark, null);
      assert.match(
        metadata.logo,
        /^data:image\/svg\+xml;base64,/,
        'the logo file was found and inlined',
      );
      assert.notEqual(metadata.readme, './README.md', 'the readme file was found and inlined');
      assert.ok(metadata.readme.length > 200, 'the readme is a real document');
      if (metadata.configTemplate !== undefined) {
        assert.doesNotThrow(
          () => JSON.parse(metadata.configTemplate),
          'configTemplate was inlined and is JSON',
        );
      }
    });

    test("type is the one Logto expects: the official connector's", async () => {
      assert.equal(host.factoryOf(kind).type, (await officialOf(kind)).type);
    });

    test('metadata id differs from the official connector, so both can be installed', async () => {
      const official = await officialOf(kind);
      const ours = host.factoryOf(kind).metadata;
      assert.notEqual(ours.id, official.metadata.id);
      assert.equal(
        ours.target,
        official.metadata.target,
        'same target: the same provider for end users',
      );
      for (const other of Object.keys(kinds).filter((name) => name !== kind)) {
        assert.notEqual(ours.id, host.factoryOf(other).metadata.id, other);
      }
    });

    test("configGuard works with the kit's validateConfig as Logto calls it", () => {
      const { configGuard } = host.factoryOf(kind);
      assert.throws(
        () => validateConfig({}, configGuard),
        (error) => error instanceof ConnectorError && error.code === 'invalid_config',
      );
      const bad = configGuard.safeParse({ accessKeyId: 1 });
      assert.equal(bad.success, false);
      assert.ok(
        bad.error instanceof host.ZodError,
        "the error is a ZodError of the host's zod, as a zod guard's",
      );
      assert.equal(typeof bad.error.errorDescription, 'string');
      assert.ok(
        Array.isArray(bad.error.issues) && bad.error.issues.length > 0,
        'issues are listed',
      );
    });

    test('npm pack --dry-run lists the .wasm and the glue', () => {
      const stdout = execFileSync('npm', ['pack', '--dry-run', '--json'], {
        cwd: path.join(distDir, packageName),
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const [{ files }] = JSON.parse(stdout);
      const paths = files.map((file) => file.path);
      for (const required of [
        'pkg/aliyun_connectors_bg.wasm',
        'pkg/aliyun_connectors.js',
        'lib/index.js',
        'package.json',
      ]) {
        assert.ok(paths.includes(required), `${required} is packed`);
      }
    });

    test('the installed package is byte-identical to dist/ where it matters', () => {
      for (const file of ['lib/index.js', 'pkg/aliyun_connectors_bg.wasm']) {
        assert.ok(
          fs
            .readFileSync(path.join(host.dirOf(kind), file))
            .equals(fs.readFileSync(path.join(distDir, packageName, file))),
          `${file} matches`,
        );
      }
    });
  });
}
