// A throwaway Logto-like instance that loads the built packages the way Logto does; the one
// place that builds it, for `npm start` (scripts/cli/) and the tests (tests/js/host.mjs).
//
//   <tmp>/packages/core/node_modules  → symlink to the repo's node_modules, so a connector
//                                       resolves @logto/connector-kit upwards as it does in
//                                       Logto, and gets the same module instance as its caller
//   <tmp>/packages/core/connectors/   ← the tarballs, installed by @logto/cli's own
//                                       `logto connector add` code (npm pack + untar, strip 1)
//
// Then @logto/cli's loader does what Logto core does at start-up
// (getConnectorPackagesFromDirectory, loadConnectorFactories with the version gate on: import
// <dir>/lib/index.js, createConnector with a not-implemented getConfig,
// validateConnectorModule, parseMetadata) and per request (buildRawConnector).
// loadConnectorFactories caches its result per process: one host per process.
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { packages, root } from './build.mjs';
import { oneLine, stripAnsi } from './cli/output.mjs';

/** The kinds the build makes, in its order: aliyun-dm, aliyun-sms, aliyun-sms-auth. */
export const kindNames = Object.freeze(packages.map(({ kind }) => kind));

/** The package name of a kind (connector-aliyun-dm, …). */
export const packageNameOf = (kind) => {
  const spec = packages.find((candidate) => candidate.kind === kind);
  if (!spec) {
    throw new Error(
      `unknown connector kind ${JSON.stringify(kind)} (one of ${kindNames.join(', ')})`,
    );
  }
  return spec.name;
};

/**
 * @logto/cli reports through console.*, in colour, with stacks for failures. Keep it off the
 * terminal and return what it said, to explain a package that did not install or load.
 */
const captureConsole = async (action) => {
  const saved = { log: console.log, info: console.info, warn: console.warn, error: console.error };
  const lines = [];
  const text = (arg) => (arg instanceof Error ? arg.message : String(arg));
  const keep = (...args) => lines.push(stripAnsi(args.map(text).join(' ')));
  Object.assign(console, { log: keep, info: keep, warn: keep, error: keep });
  try {
    return { result: await action(), lines };
  } finally {
    Object.assign(console, saved);
  }
};

/**
 * Why `logto connector add` failed: it logs the npm pack error, whose first line is only
 * "Command failed: npm pack …"; npm's own `npm error <reason>` line says more.
 */
const installFailure = (lines) => {
  const text = lines.filter((line) => /error/i.test(line)).join('\n');
  const npmReason = text
    .split('\n')
    .map((line) => line.trim())
    .find((line) => /^npm error (?!code |A complete log|Log files)/.test(line));
  return oneLine(npmReason?.replace(/^npm error /, 'npm pack: ') ?? (text || 'no reason given'));
};

const plainError = (message) => new Error(message);

/**
 * Creates the instance layout and installs the tarballs (paths) into it with `logto connector
 * add`'s own code. Returns `{ instance, connectorsDir, installLines, close }`; `installLines` is
 * what the installer said (it logs and swallows a failure per package, so the caller checks
 * what arrived). The directory is also removed when the process exits without `close()`.
 */
export const createInstance = async (tarballs, { prefix = 'logto-host-' } = {}) => {
  // Imported here, not at the top: a machine without node_modules gets the "run npm ci" line
  // from the CLI's preparePackages instead of a module-not-found stack.
  const { addConnectorsToPath } = await import('@logto/cli/lib/commands/connector/utils.js');
  const instance = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  const removeNow = () => fsSync.rmSync(instance, { recursive: true, force: true });
  process.once('exit', removeNow);
  const close = async () => {
    process.off('exit', removeNow);
    await fs.rm(instance, { recursive: true, force: true });
  };
  try {
    const core = path.join(instance, 'packages', 'core');
    const connectorsDir = path.join(core, 'connectors');
    await fs.mkdir(connectorsDir, { recursive: true });
    await fs.symlink(path.join(root, 'node_modules'), path.join(core, 'node_modules'), 'dir');
    const installed = await captureConsole(() => addConnectorsToPath(connectorsDir, tarballs));
    return { instance, connectorsDir, installLines: installed.lines, close };
  } catch (error) {
    await close();
    throw error;
  }
};

/**
 * Installs the tarballs ({ kind: path }) into a new instance and loads them. Failures to
 * install or load are thrown as `fail(message)` (an Error by default; the CLI makes its own).
 * Returns `{ instance, connectorsDir, packages, factories, dirOf(kind), factoryOf(kind),
 * connect(kind, getConfig?, getI18nEmailTemplate?), isConnectorError(error), close() }`.
 */
export const openLogtoHost = async (tarballs, { prefix, fail = plainError } = {}) => {
  const [
    { buildRawConnector, loadConnectorFactories },
    { getConnectorPackagesFromDirectory },
    { ConnectorError },
  ] = await Promise.all([
    import('@logto/cli/lib/connector/index.js'),
    import('@logto/cli/lib/utils.js'),
    // The kit the connectors resolve through the instance's node_modules symlink: the same
    // module, so `instanceof` works as it does in Logto.
    import('@logto/connector-kit'),
  ]);

  const kinds = Object.keys(tarballs);
  const created = await createInstance(Object.values(tarballs), { prefix });
  const { instance, connectorsDir, close } = created;
  try {
    const dirOf = (kind) => path.join(connectorsDir, packageNameOf(kind));
    for (const kind of kinds) {
      const present = await fs.stat(path.join(dirOf(kind), 'package.json')).catch(() => null);
      if (!present) {
        throw fail(
          `logto connector add could not install ${path.relative(root, tarballs[kind])}: ${installFailure(created.installLines)}`,
        );
      }
    }

    // `false`: the connector-kit version gate is on, as in production. The loader skips (and
    // logs) a package it cannot load, so a missing factory is the failure to explain.
    const loaded = await captureConsole(async () => {
      const found = await getConnectorPackagesFromDirectory(connectorsDir);
      return { found, factories: await loadConnectorFactories(found, false) };
    });
    const { found, factories } = loaded.result;
    const factoryOf = (kind) => {
      const factory = factories.find(({ path: dir }) => dir === dirOf(kind));
      if (!factory) {
        const name = packageNameOf(kind);
        const said = loaded.lines.find((line) => line.includes(name)) ?? 'no reason given';
        throw fail(
          `Logto's loader skipped ${name}: ${oneLine(said.replace(/^.*due to error: /, ''))}`,
        );
      }
      return factory;
    };
    kinds.forEach(factoryOf);

    return {
      instance,
      connectorsDir,
      /** What getConnectorPackagesFromDirectory found. */
      packages: found,
      factories,
      dirOf,
      factoryOf,
      /**
       * What Logto core does per request: buildRawConnector with the stored-config reader and
       * the i18n email template reader. Left out (as for the console's Test button) getConfig
       * is Logto's not-implemented one, and the config travels as sendMessage's second argument.
       */
      connect: async (kind, getConfig, getI18nEmailTemplate) =>
        (await buildRawConnector(factoryOf(kind), getConfig, undefined, getI18nEmailTemplate))
          .rawConnector,
      /** A connector's refusal (an expected failure), as opposed to a bug. */
      isConnectorError: (error) => error instanceof ConnectorError,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
};
