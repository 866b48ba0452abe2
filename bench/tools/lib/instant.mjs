// The core of a built package with no network: core.sendMessage with a transport whose fetch
// answers at once with a `new Response(...)` of Aliyun's success answer. The rest of the
// transport is the shim's (js-shim/connector.js, bundled into lib/index.js): Date.now,
// randomUUID and a cancellable sleep.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { answers, configs, repoRoot, sendData } from '../../lib/inputs.mjs';

// The host's side is the same for every build: the one the built DM package ships.
const internalsOf = async (packageDir) =>
  (await import(pathToFileURL(path.join(packageDir, 'lib', 'index.js')).href)).internals;
const { transport: shipped } = await internalsOf(
  path.join(repoRoot, 'dist', 'connector-aliyun-dm'),
);

/** The shim's core module of a built package directory (its own Wasm instance per directory). */
export const loadCore = async (packageDir) => (await internalsOf(packageDir)).core;

/** The input Logto's call becomes in the shim: the stored config, the message, no template. */
export const sendInput = (kind) => {
  const config = configs()[kind];
  const { to, type, payload } = sendData[kind];
  return () => ({ config, to, type, payload, template: null });
};

/**
 * A transport for `kind` whose fetch resolves at once with a 200 and the answer's JSON, with a
 * content-length as the sandbox (and Aliyun) sends it. `marks.fetched` and `marks.answered` are
 * set to performance.now() when fetch is called and when it has made its Response.
 */
export const instantTransport = (kind, marks = {}) => {
  const answer = answers[kind];
  return {
    fetch: () => {
      marks.fetched = performance.now();
      const body = JSON.stringify(answer());
      const response = new Response(body, {
        status: 200,
        headers: {
          'content-type': 'application/json;charset=utf-8',
          'content-length': String(Buffer.byteLength(body)),
        },
      });
      marks.answered = performance.now();
      return Promise.resolve(response);
    },
    now: shipped.now,
    nonce: shipped.nonce,
    sleep: shipped.sleep,
  };
};

/** Sends once and throws unless the envelope is ok. */
export const sendOnce = async (core, kind, input, transport) => {
  const envelope = await core.sendMessage(kind, input, transport);
  if (!envelope.ok) throw new Error(`${kind}: ${JSON.stringify(envelope.error)}`);
  return envelope.value;
};
