// Preloaded into every benchmark child with `node --import <this file>` (never into Logto, never
// into the tests). It makes the default Aliyun host names reach the local sandbox, in this
// process only: no /etc/hosts edit, no system resolver change.
//
//   BENCH_SANDBOX_ADDR   the loopback address the sandbox listens on (default 127.0.0.1)
//   BENCH_SANDBOX_PORT   its port (default 443); only if it is not 443 is the port rewritten too
//
// dns.lookup is what net.connect calls by default, and both HTTP stacks connect through net:
// Node's global fetch (undici: what our shim hands to the core, and the floor's) and `got` (the official
// connectors, through https.Agent). Both read `dns.lookup` off the module object at connect
// time, so replacing the property is enough; syncBuiltinESMExports also updates the named ESM
// export for code that did `import { lookup } from 'node:dns'`. The lookups answered here are
// counted, and the parent asks for the count to prove the redirection happened.
import dns from 'node:dns';
import tls from 'node:tls';
import { syncBuiltinESMExports } from 'node:module';

import { hosts as benchHosts } from './inputs.mjs';

const address = process.env.BENCH_SANDBOX_ADDR || '127.0.0.1';
const port = Number(process.env.BENCH_SANDBOX_PORT || 443);
const family = address.includes(':') ? 6 : 4;

// The hosts the official connectors and ours use by default (cn-hangzhou / central endpoints).
export const redirectedHosts = Object.freeze([...benchHosts]);
const hosts = new Set(redirectedHosts);
const counts = Object.fromEntries(redirectedHosts.map((host) => [host, 0]));

const normalise = (hostname) => String(hostname).toLowerCase().replace(/\.$/, '');

const originalLookup = dns.lookup;
function lookup(hostname, options, callback) {
  let opts = options;
  let cb = callback;
  if (typeof opts === 'function') {
    cb = opts;
    opts = {};
  } else if (typeof opts === 'number') {
    opts = { family: opts };
  }
  const name = normalise(hostname);
  if (!hosts.has(name)) {
    return originalLookup.call(this, hostname, options, callback);
  }
  counts[name] += 1;
  // Asynchronous, as the real lookup is. `all: true` is what happy eyeballs (autoSelectFamily,
  // on by default since Node 20) asks for.
  process.nextTick(() => (opts?.all ? cb(null, [{ address, family }]) : cb(null, address, family)));
  return {};
}
dns.lookup = lookup;

const originalPromiseLookup = dns.promises.lookup;
dns.promises.lookup = async (hostname, options) => {
  const name = normalise(hostname);
  if (!hosts.has(name)) {
    return originalPromiseLookup(hostname, options);
  }
  counts[name] += 1;
  const opts = typeof options === 'number' ? { family: options } : options;
  return opts?.all ? [{ address, family }] : { address, family };
};

// Only when the sandbox could not bind 443 (no privilege): send connections to those names to
// its port instead. Both undici and https.Agent call `tls.connect(options)` on the module object.
if (port !== 443) {
  const originalConnect = tls.connect;
  tls.connect = function connect(...args) {
    const options = args[0];
    if (
      options &&
      typeof options === 'object' &&
      hosts.has(normalise(options.host ?? options.servername ?? ''))
    ) {
      if (Number(options.port ?? 443) === 443) {
        args[0] = { ...options, port };
      }
    }
    return originalConnect.apply(this, args);
  };
}

syncBuiltinESMExports();

/** Lookups answered by this preload so far, per host name. */
globalThis.__benchDnsRedirects = () => ({ ...counts, address, port });
