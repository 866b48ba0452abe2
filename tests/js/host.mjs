// A Logto-like instance on disk, loading the built packages the way Logto does.
//
//   <tmp>/packages/core/node_modules  → symlink to the repo's node_modules, so the connectors
//                                       resolve @logto/connector-kit upwards exactly as they do
//                                       in Logto, and get the same module instance as the tests
//   <tmp>/packages/core/connectors/   ← the dist tarballs, installed by @logto/cli's own
//                                       `logto connector add` code (npm pack + untar, strip 1)
//
// Then @logto/cli's loader does what Logto core does: `getConnectorPackagesFromDirectory`,
// `loadConnectorFactories` (version gate, `import(<dir>/lib/index.js)`, createConnector with a
// not-implemented getConfig, validateConnectorModule, parseMetadata), and per request
// `buildRawConnector`. loadConnectorFactories caches its result per process, and node --test
// runs each test file in its own process, so `logtoHost()` builds one host per file.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach } from 'node:test';
import { fileURLToPath } from 'node:url';

import { addConnectorsToPath } from '@logto/cli/lib/commands/connector/utils.js';
import { buildRawConnector, loadConnectorFactories } from '@logto/cli/lib/connector/index.js';
import { getConnectorPackagesFromDirectory } from '@logto/cli/lib/utils.js';

import { sandbox } from './fixtures.mjs';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const distDir = path.join(repoRoot, 'dist');

export const kinds = Object.freeze({
  'aliyun-dm': { packageName: 'connector-aliyun-dm', type: 'Email' },
  'aliyun-sms': { packageName: 'connector-aliyun-sms', type: 'Sms' },
});

/** The built tarball of a package: dist/<name>-<version>.tgz, as scripts/build.mjs leaves it. */
export const tarballOf = async (packageName) => {
  const { version } = JSON.parse(
    await fs.readFile(path.join(distDir, packageName, 'package.json'), 'utf8'),
  );
  const tarball = path.join(distDir, `${packageName}-${version}.tgz`);
  await fs.access(tarball).catch(() => {
    throw new Error(`${tarball} is missing: run \`npm run build\` first`);
  });
  return tarball;
};

// @logto/cli reports progress with console.log/console.info; keep test output for test results.
const quietly = async (action) => {
  const { log, info } = console;
  console.log = () => {};
  console.info = () => {};
  try {
    return await action();
  } finally {
    Object.assign(console, { log, info });
  }
};

/** Creates the instance layout and installs the tarballs into it. Returns the paths. */
export const createInstance = async (tarballs) => {
  const instance = await fs.mkdtemp(path.join(os.tmpdir(), 'logto-host-'));
  const core = path.join(instance, 'packages', 'core');
  const connectorsDir = path.join(core, 'connectors');
  await fs.mkdir(connectorsDir, { recursive: true });
  await fs.symlink(path.join(repoRoot, 'node_modules'), path.join(core, 'node_modules'), 'dir');
  // addConnectorsToPath logs and swallows per-package failures, so check the result below.
  await quietly(() => addConnectorsToPath(connectorsDir, tarballs));
  return { instance, connectorsDir };
};

const buildHost = async () => {
  const tarballs = await Promise.all(Object.values(kinds).map(({ packageName }) => tarballOf(packageName)));
  const { instance, connectorsDir } = await createInstance(tarballs);
  const packages = await getConnectorPackagesFromDirectory(connectorsDir);
  // false: the version gate is on, as in production.
  const factories = await loadConnectorFactories(packages, false);

  const dirOf = (kind) => path.join(connectorsDir, kinds[kind].packageName);
  const factoryOf = (kind) => {
    const factory = factories.find(({ path: dir }) => dir === dirOf(kind));
    if (!factory) {
      throw new Error(`Logto's loader skipped ${kinds[kind].packageName} (see the log above)`);
    }
    return factory;
  };

  return {
    instance,
    connectorsDir,
    packages,
    factories,
    dirOf,
    factoryOf,
    /**
     * What Logto core does per request: `buildRawConnector(factory, getConfig, undefined,
     * getI18nEmailTemplate)`. `config` is shorthand for a getConfig returning it.
     */
    connect: async (kind, { config, getConfig, getI18nEmailTemplate } = {}) => {
      const { rawConnector } = await buildRawConnector(
        factoryOf(kind),
        getConfig ?? (async () => config),
        undefined,
        getI18nEmailTemplate,
      );
      return rawConnector;
    },
    close: () => fs.rm(instance, { recursive: true, force: true }),
  };
};

let hostPromise;

/** The host of this process (one per test file), built on first use. */
export const logtoHost = () => {
  hostPromise ??= buildHost();
  return hostPromise;
};

/**
 * The hooks most end-to-end files share: this process's host and a fresh sandbox before the
 * file's tests (handed to `use` once both are up), both closed after them, and the sandbox reset
 * before each test.
 */
export const withHostAndSandbox = (use) => {
  let started = {};
  before(async () => {
    const [host, sb] = await Promise.all([logtoHost(), sandbox()]);
    started = { host, sb };
    use(started);
  });
  after(async () => {
    await started.sb?.close();
    await started.host?.close();
  });
  beforeEach(() => started.sb.reset());
};
