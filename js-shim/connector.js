// Adapts Logto's connector interface to the core (docs/contracts.md section 1).
//
// Logto imports `lib/index.js` and calls its default export, `createConnector`, at start-up and
// again for every request that needs the connector. Everything that costs anything (the Wasm
// instance, the metadata, the transport) is therefore made at most once per process, and the
// Wasm instance only when a config is validated or a message sent; `createConnector` only
// closes over the host's callbacks. Host callbacks are resolved here, in JS, so that only
// plain values reach the core.
import { ConnectorError, ConnectorErrorCodes, ConnectorType } from '@logto/connector-kit';

import * as configError from './config-error.js';
import * as core from './core.js';

const connectorTypes = Object.freeze({
  'aliyun-dm': ConnectorType.Email,
  'aliyun-sms': ConnectorType.Sms,
  'aliyun-sms-auth': ConnectorType.Sms,
});

/**
 * The host's side of every send: the core's only I/O is this fetch (looked up per request, so
 * a host that instruments it later is honoured), and its only clock, nonce and timer are these.
 * Exported for the tests and the bench, which send through it with a fetch of their own.
 */
export const transport = Object.freeze({
  fetch: (url, init) => globalThis.fetch(url, init),
  now: () => Date.now(),
  // The global Web Crypto: importing node:crypto would cost every Logto start-up its module.
  nonce: () => crypto.randomUUID(),
  sleep: (ms) => {
    let timer;
    const slept = new Promise((resolve) => {
      timer = setTimeout(resolve, ms);
    });
    slept.cancel = () => clearTimeout(timer);
    return slept;
  },
});

/**
 * The `configGuard` Logto expects, as an adapter over the core's validation: Logto only calls
 * `safeParse`, and the config rules live in Rust alone. Its error is a ZodError of the host's
 * zod, as a zod guard's would be, so Logto's console lists each path (config-error.js).
 */
const makeConfigGuard = (kind) =>
  Object.freeze({
    safeParse: (config) => {
      const result = core.validateConfig(kind, config);
      if (result.ok) {
        return { success: true, data: result.value };
      }
      // Only config issues are a parse failure: Logto would report anything else (a core that
      // failed) as an invalid config, so it is thrown as the shim's `general` ConnectorError.
      if (result.error.code !== ConnectorErrorCodes.InvalidConfig) {
        core.unwrap(result);
      }
      return { success: false, error: configError.toHostConfigError(result.error.data) };
    },
  });

/**
 * A thrown value's message, without trusting it: a hostile value (a Proxy whose
 * getPrototypeOf throws, a null-prototype object, a throwing getter or toString) must not turn
 * error handling into a second throw.
 */
const messageOf = (error) => {
  try {
    const message = error instanceof Error ? error.message : String(error);
    return typeof message === 'string' ? message : 'an unreadable error';
  } catch {
    return 'an unreadable error';
  }
};

/** `instanceof ConnectorError`, false for a value whose prototype lookup throws. */
const isConnectorError = (value) => {
  try {
    return value instanceof ConnectorError;
  } catch {
    return false;
  }
};

/**
 * The stored config. A ConnectorError from the host (Logto's `notImplemented` getConfig, for
 * one) passes through unchanged; anything else becomes a `general` ConnectorError.
 */
const readConfig = async (getConfig, id) => {
  try {
    return await getConfig(id);
  } catch (error) {
    if (isConnectorError(error)) {
      throw error;
    }
    throw new ConnectorError(ConnectorErrorCodes.General, {
      errorDescription: `Could not read the connector config: ${messageOf(error)}`,
    });
  }
};

/**
 * The i18n email template Logto keeps for (type, locale), or null. A failing lookup counts as
 * none, as Logto's own connectors treat it (`trySafe`): the config templates still apply.
 */
const readI18nTemplate = async (getI18nEmailTemplate, type, locale) => {
  try {
    return (await getI18nEmailTemplate?.(type, locale)) ?? null;
  } catch {
    return null;
  }
};

/** The last line of defence: nothing but a ConnectorError may leave sendMessage. */
const asConnectorError = (error) =>
  isConnectorError(error)
    ? error
    : new ConnectorError(ConnectorErrorCodes.General, {
        errorDescription: `Internal connector error: ${messageOf(error)}`,
      });

/**
 * `createConnector` for one kind, with the core's metadata for it: the build inlines what the
 * core's getMetadata answers, so creating a connector needs no Wasm instance (docs/contracts.md,
 * "Metadata and start-up"), and Logto creates every installed connector at start-up.
 */
export const makeCreateConnector = (kind, metadata) => {
  const type = connectorTypes[kind];
  if (!type || metadata?.target === undefined) {
    throw new TypeError(`Unknown connector kind or no metadata: ${kind}`);
  }
  const configGuard = makeConfigGuard(kind);
  const isEmail = type === ConnectorType.Email;

  return async ({ getConfig, getI18nEmailTemplate } = {}) => {
    const sendMessage = async (data, inputConfig) => {
      try {
        const { to, type: templateType, payload } = data ?? {};
        // `inputConfig` comes only from the console's Test button; otherwise read the stored one.
        const config = inputConfig ?? (await readConfig(getConfig, metadata.id));
        const template = isEmail
          ? await readI18nTemplate(getI18nEmailTemplate, templateType, payload?.locale)
          : null;
        const input = { config, to, type: templateType, payload: payload ?? {}, template };
        return core.unwrap(await core.sendMessage(kind, input, transport));
      } catch (error) {
        throw asConnectorError(error);
      }
    };

    return { metadata, type, configGuard, sendMessage };
  };
};

/**
 * Not for Logto, which reads only a package's default export: the shipped shim's inner modules,
 * for the tests and the bench, which must drive the very code that ships (one bundled file).
 */
export const internals = Object.freeze({ core, configError, transport });
