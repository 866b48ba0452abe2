// The Logto-like host of the tests: scripts/logto-host.mjs (the instance on disk, `logto
// connector add`, @logto/cli's loader with the version gate, buildRawConnector), plus what only
// the tests need. loadConnectorFactories caches its result per process, and node --test runs
// each test file in its own process, so `logtoHost()` builds one host per file.
// `requestErrorOf` does to a thrown error what Logto core does before answering: its
// koaConnectorErrorHandler mapping and RequestError's `details` and `toBody`, with the zod and
// the kit that resolve from <tmp>/packages/core, as core's own imports do.
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, beforeEach } from 'node:test';
import { pathToFileURL } from 'node:url';

import { root } from '../../scripts/build.mjs';
import {
  createInstance,
  kindNames,
  openLogtoHost,
  packageNameOf,
} from '../../scripts/logto-host.mjs';
import { sandbox } from './fixtures.mjs';

export { createInstance };

export const repoRoot = root;
export const distDir = path.join(repoRoot, 'dist');

/** Every kind the build makes (scripts/build.mjs `packages`), with its package name. */
export const kinds = Object.freeze(
  Object.fromEntries(
    kindNames.map((kind) => [kind, Object.freeze({ packageName: packageNameOf(kind) })]),
  ),
);

/**
 * The shim's inner modules (`internals`: core, configError, transport) of the package in
 * `packageDir`, the very module instance the package's connector uses.
 */
export const internalsOf = async (packageDir) =>
  (await import(pathToFileURL(path.join(packageDir, 'lib', 'index.js')).href)).internals;

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
  const tarballs = Object.fromEntries(
    await Promise.all(
      Object.entries(kinds).map(async ([kind, { packageName }]) => [
        kind,
        await tarballOf(packageName),
      ]),
    ),
  );
  const host = await openLogtoHost(tarballs);
  try {
    const coreImportsFile = path.join(host.instance, 'packages', 'core', 'core-imports.mjs');
    await fs.writeFile(coreImportsFile, coreImports);
    const { ZodError, ConnectorError, phrases } = await import(pathToFileURL(coreImportsFile).href);
    return {
      ...host,
      /** Logto core's ZodError class: the one RequestError's `details` checks against. */
      ZodError,
      requestErrorOf: makeRequestErrorOf({ ZodError, ConnectorError, phrases: phrases.en }),
      /**
       * What Logto core does per request: `buildRawConnector(factory, getConfig, undefined,
       * getI18nEmailTemplate)`. `config` is shorthand for a getConfig returning it.
       */
      connect: (kind, { config, getConfig, getI18nEmailTemplate } = {}) =>
        host.connect(kind, getConfig ?? (async () => config), getI18nEmailTemplate),
    };
  } catch (error) {
    await host.close();
    throw error;
  }
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
