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
// `requestErrorOf` then does to a thrown error what Logto core does before answering: its
// koaConnectorErrorHandler mapping and RequestError's `details` and `toBody`, with the zod and
// the kit that resolve from <tmp>/packages/core, as core's own imports do.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

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

// koaConnectorErrorHandler's statuses (packages/core/src/middleware/koa-connector-error-handler.ts);
// any other code answers 400 with errorDescription interpolated into the message.
const statusOfCode = Object.freeze({
  invalid_metadata: 400,
  invalid_config_guard: 400,
  invalid_request_parameters: 400,
  insufficient_request_parameters: 400,
  invalid_config: 400,
  invalid_certificate: 400,
  invalid_response: 400,
  social_auth_code_invalid: 401,
  social_invalid_access_token: 401,
  social_invalid_id_token: 401,
  authorization_failed: 401,
  template_not_found: 400,
  not_implemented: 501,
  rate_limit_exceeded: 429,
  usage_limit_exceeded: 429,
});

/** Logto's `formatZodError` (packages/core/src/errors/RequestError/index.ts), line for line. */
export const formatZodError = ({ issues }) =>
  issues.map((issue) => {
    const base = `Error in key path "${issue.path.map(String).join('.')}": (${issue.code}) `;
    if (issue.code === 'invalid_type') {
      return base + `Expected ${issue.expected} but received ${issue.received}.`;
    }
    return base + issue.message;
  });

/**
 * What Logto core makes of an error thrown while it handles a request, given the ZodError,
 * ConnectorError and English phrases core itself imports. A ConnectorError becomes a
 * RequestError (`connector.<code>`, its status, `data` as is); its `details` are the
 * SyntaxError's message or the ZodError's formatted issues, else none; `body` is `toBody`
 * through JSON, as the HTTP answer carries it. Anything else Logto rethrows, and so does this.
 */
export const makeRequestErrorOf =
  ({ ZodError, ConnectorError, phrases }) =>
  (error) => {
    if (!(error instanceof ConnectorError)) {
      throw error;
    }
    const { code, data } = error;
    // Logto: z.object({ errorDescription: z.string() }) parsed from data, else JSON.stringify(data).
    const errorDescription =
      typeof data?.errorDescription === 'string' ? data.errorDescription : JSON.stringify(data);
    const status = statusOfCode[code] ?? 400;
    const interpolation = code in statusOfCode ? {} : { errorDescription };
    const phrase = phrases.errors.connector[code] ?? `connector.${code}`;
    const message = phrase.replaceAll(/{{(\w+)}}/g, (whole, name) => interpolation[name] ?? whole);
    // `conditional(x)`: x when truthy, else undefined.
    const details =
      (data instanceof SyntaxError
        ? data.message
        : data instanceof ZodError && formatZodError(data).join('\n')) || undefined;
    const body = JSON.parse(JSON.stringify({ code: `connector.${code}`, data, details, message }));
    return { code: `connector.${code}`, status, data, details, message, body };
  };

// Logto core's own imports, resolved from <tmp>/packages/core as core's modules resolve them.
const coreImports = `export { ZodError } from 'zod';
export { ConnectorError } from '@logto/connector-kit';
export { default as phrases } from '@logto/phrases';
`;

const buildHost = async () => {
  const tarballs = await Promise.all(
    Object.values(kinds).map(({ packageName }) => tarballOf(packageName)),
  );
  const { instance, connectorsDir } = await createInstance(tarballs);
  const coreImportsFile = path.join(instance, 'packages', 'core', 'core-imports.mjs');
  await fs.writeFile(coreImportsFile, coreImports);
  const { ZodError, ConnectorError, phrases } = await import(pathToFileURL(coreImportsFile).href);
  const requestErrorOf = makeRequestErrorOf({ ZodError, ConnectorError, phrases: phrases.en });
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
    /** Logto core's ZodError class: the one RequestError's `details` checks against. */
    ZodError,
    requestErrorOf,
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
