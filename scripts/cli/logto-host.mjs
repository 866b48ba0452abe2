// A throwaway Logto-like instance that loads the built packages the way Logto does.
//
//   <tmp>/packages/core/node_modules  → symlink to the repo's node_modules, so a connector
//                                       resolves @logto/connector-kit upwards as it does in Logto
//   <tmp>/packages/core/connectors/   ← the dist tarballs, installed by @logto/cli's own
//                                       `logto connector add` code (npm pack + untar)
//
// Then @logto/cli's loader does what Logto core does at start-up (getConnectorPackagesFromDirectory,
// loadConnectorFactories with the version gate on) and per request (buildRawConnector).
// tests/js/host.mjs does the same for the tests; scripts must not depend on tests/, hence these
// few lines twice.
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { packages, root } from '../build.mjs';
import { CliError, exitCodes, oneLine, stripAnsi } from './output.mjs';

/** The package name of each kind (connector-aliyun-dm, …). */
export const packageNameOf = (kind) => packages.find((spec) => spec.kind === kind).name;

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

const notLoaded = (message) => new CliError(message, { exitCode: exitCodes.environment });

/**
 * Installs the tarballs ({ kind: path }) into a new instance and loads them. Returns
 * `{ instance, connectorsDir, factoryOf(kind), connect(kind), isConnectorError(error), close() }`.
 */
export const openLogtoHost = async (tarballs) => {
  // Imported here, not at the top: a machine without node_modules gets the "run npm ci" line
  // from preparePackages instead of a module-not-found stack.
  const [
    { addConnectorsToPath },
    { buildRawConnector, loadConnectorFactories },
    { getConnectorPackagesFromDirectory },
    { ConnectorError },
  ] = await Promise.all([
    import('@logto/cli/lib/commands/connector/utils.js'),
    import('@logto/cli/lib/connector/index.js'),
    import('@logto/cli/lib/utils.js'),
    // The kit the connectors resolve through the instance's node_modules symlink: the same
    // module, so `instanceof` works as it does in Logto.
    import('@logto/connector-kit'),
  ]);

  const instance = await fs.mkdtemp(path.join(os.tmpdir(), 'logto-start-'));
  // Also removed when the process exits without closing (Ctrl-C, a failure on the way out).
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

    const kinds = Object.keys(tarballs);
    const dirOf = (kind) => path.join(connectorsDir, packageNameOf(kind));
    // addConnectorsToPath logs and swallows a failure per package: check what arrived.
    const installed = await captureConsole(() =>
      addConnectorsToPath(connectorsDir, Object.values(tarballs)),
    );
    for (const kind of kinds) {
      // eslint-disable-next-line no-await-in-loop -- two packages
      const present = await fs.stat(path.join(dirOf(kind), 'package.json')).catch(() => null);
      if (!present) {
        throw notLoaded(
          `logto connector add could not install ${path.relative(root, tarballs[kind])}: ${installFailure(installed.lines)}`,
        );
      }
    }

    // `false`: the connector-kit version gate is on, as in production. The loader skips (and
    // logs) a package it cannot load, so a missing factory is the failure to explain.
    const loaded = await captureConsole(async () =>
      loadConnectorFactories(await getConnectorPackagesFromDirectory(connectorsDir), false),
    );
    const factoryOf = (kind) => {
      const factory = loaded.result.find(({ path: dir }) => dir === dirOf(kind));
      if (!factory) {
        const said =
          loaded.lines.find((line) => line.includes(packageNameOf(kind))) ?? 'no reason given';
        throw notLoaded(
          `Logto's loader skipped ${packageNameOf(kind)}: ${oneLine(said.replace(/^.*due to error: /, ''))}`,
        );
      }
      return factory;
    };
    kinds.forEach(factoryOf);

    return {
      instance,
      connectorsDir,
      factoryOf,
      /**
       * What Logto core does per request: buildRawConnector with the stored-config reader. Left
       * out (as for the console's Test button) it is Logto's not-implemented one, and the
       * config travels as sendMessage's second argument.
       */
      connect: async (kind, getConfig) =>
        (await buildRawConnector(factoryOf(kind), getConfig)).rawConnector,
      /** A connector's refusal (an expected failure), as opposed to a bug. */
      isConnectorError: (error) => error instanceof ConnectorError,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
};
