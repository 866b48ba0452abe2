// What the parent prepares before any contender runs: the throw-away TLS certificate, the
// sandbox serving the default Aliyun host names over HTTPS, and the Logto-like instances that
// hold each contender's installed packages. The inputs themselves are in inputs.mjs.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { createInstance } from '../../scripts/logto-host.mjs';
import { tarballOf } from '../../tests/js/host.mjs';
import { startSandbox } from '../../sandbox/index.mjs';
import {
  accessKeyId,
  accessKeySecret,
  benchDir,
  hosts,
  kinds,
  logtoPreloaded,
  repoRoot,
} from './inputs.mjs';

export {
  accessKeyId,
  accessKeySecret,
  benchDir,
  configs,
  kindNames,
  kinds,
  repoRoot,
  sendData,
} from './inputs.mjs';
export const preloadUrl = pathToFileURL(path.join(benchDir, 'lib', 'preload-dns.mjs')).href;

// ---- the throw-away certificate ---------------------------------------------------------
export const certificateNames = hosts;

/**
 * A self-signed P-256 certificate for the Aliyun host names (and 127.0.0.1), valid for a day,
 * made with the openssl CLI in a fresh temp dir (deleted at the end of the run). Trusted only by
 * the children we spawn, through NODE_EXTRA_CA_CERTS. Node has no API to issue a certificate, so
 * without openssl the bench stops with a clear message rather than use a stored key.
 */
export const makeCertificate = async (dir) => {
  const keyFile = path.join(dir, 'sandbox-key.pem');
  const certFile = path.join(dir, 'sandbox-cert.pem');
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '1',
        '-subj',
        '/CN=aliyun-bench-sandbox (throw-away, test only)',
        '-addext',
        `subjectAltName=${certificateNames.map((n) => `DNS:${n}`).join(',')},IP:127.0.0.1`,
        '-addext',
        'basicConstraints=critical,CA:TRUE',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (error) {
    if (error.code === 'ENOENT') {
      throw new Error(
        'the bench needs the openssl CLI to make its throw-away TLS certificate (apt-get install openssl)',
        { cause: error },
      );
    }
    throw error;
  }
  return {
    key: await fs.readFile(keyFile),
    cert: await fs.readFile(certFile),
    certFile,
    source: 'openssl, throw-away',
  };
};

// ---- the sandbox on :443 ------------------------------------------------------------------
const canListen = (host, port) =>
  new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', (error) => resolve(error.code));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });

/**
 * Starts the sandbox over HTTPS where the default Aliyun URLs land: 127.0.0.1:443. Without the
 * privilege to bind 443 (or with 443 taken), it takes any free port and the preload rewrites the
 * port of connections to the Aliyun names as well as their address (reported in the results).
 */
export const startHttpsSandbox = async ({ key, cert }, counters) => {
  const outcome = await canListen('127.0.0.1', 443);
  const sb = await startSandbox({
    host: '127.0.0.1',
    port: outcome === true ? 443 : 0,
    credentials: { [accessKeyId]: { secret: accessKeySecret } },
    tls: { key, cert },
    maxRecords: 1000,
    // One line per API request: counted by outcome, to check every send reached the sandbox.
    log: (line) => counters.record(line),
  });
  return {
    sb,
    address: '127.0.0.1',
    port: sb.port,
    portRewritten: sb.port !== 443,
    port443: outcome,
  };
};

/** Counts the sandbox's requests; `since(mark)` gives the counts after a mark. */
export const makeCounters = () => {
  const counts = { delivered: 0, rejected: 0, fault: 0, other: 0 };
  const rejectedCodes = new Map();
  return {
    record(line) {
      const [, , , outcome, , code] = line.split(' ');
      if (outcome in counts) {
        counts[outcome] += 1;
      } else {
        counts.other += 1;
      }
      if (outcome === 'rejected' && code) {
        rejectedCodes.set(code, (rejectedCodes.get(code) ?? 0) + 1);
      }
    },
    mark: () => ({ ...counts }),
    since: (mark) => Object.fromEntries(Object.keys(counts).map((k) => [k, counts[k] - mark[k]])),
    rejectedCodes: () => Object.fromEntries(rejectedCodes),
  };
};

// ---- Logto-like instances ------------------------------------------------------------------
/**
 * `npm pack` of an installed package directory (the official ones, as npm delivered them), named
 * `connector-<name>-<version>.tgz`: @logto/cli's `connector add` prefixes any other last path
 * segment with `connector-`.
 */
const packDirectory = async (dir, destination) => {
  const out = execFileSync(
    'npm',
    ['pack', dir, '--pack-destination', destination, '--ignore-scripts', '--json', '--silent'],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const packed = path.join(destination, JSON.parse(out)[0].filename);
  const { name, version } = JSON.parse(await fs.readFile(path.join(dir, 'package.json'), 'utf8'));
  const renamed = path.join(destination, `${name.replace(/^@[^/]+\//, '')}-${version}.tgz`);
  await fs.rename(packed, renamed);
  return renamed;
};

// Logto core's imports at start-up, resolved from <instance>/packages/core as core's own modules
// resolve them: the cold start's Logto-like mode imports this file before the package.
const logtoModulesFile = 'bench-logto-modules.mjs';
const logtoModules = `${logtoPreloaded.map((name) => `import '${name}';`).join('\n')}\n`;

/**
 * Two Logto-like instances made by tests/js/host.mjs's createInstance (which installs with
 * @logto/cli's own `connector add` code): one with our dist tarballs, one with the official
 * packages packed from node_modules. Their node_modules is the repo's, as in Logto, so both
 * resolve @logto/connector-kit (and the official ones got, zod, …) the same way.
 */
export const installContenders = async (scratch) => {
  const kindList = Object.values(kinds);
  const ourTarballs = await Promise.all(kindList.map(({ packageName }) => tarballOf(packageName)));
  const ours = await createInstance(ourTarballs);
  const officialTarballs = [];
  for (const { official: name } of kindList) {
    officialTarballs.push(await packDirectory(path.join(repoRoot, 'node_modules', name), scratch));
  }
  const official = await createInstance(officialTarballs);
  const instanceOf = (made, contender) => {
    // @logto/cli names an installed package's directory after the package, '/' → '-'.
    const packageDirs = Object.fromEntries(
      Object.entries(kinds).map(([kind, k]) => [
        kind,
        path.join(
          made.connectorsDir,
          contender === 'ours' ? k.packageName : k.official.replace('/', '-'),
        ),
      ]),
    );
    return {
      connectorsDir: made.connectorsDir,
      packageDirs,
      logtoModules: path.join(made.instance, 'packages', 'core', logtoModulesFile),
    };
  };
  const contenders = { ours: instanceOf(ours, 'ours'), official: instanceOf(official, 'official') };
  for (const { logtoModules: file, packageDirs } of Object.values(contenders)) {
    await fs.writeFile(file, logtoModules);
    for (const dir of Object.values(packageDirs)) {
      await fs.access(path.join(dir, 'package.json')).catch(() => {
        throw new Error(`@logto/cli did not install ${dir}`);
      });
    }
  }
  const byKind = (files) =>
    Object.fromEntries(Object.keys(kinds).map((kind, i) => [kind, files[i]]));
  return {
    instances: [ours.instance, official.instance],
    tarballs: { ours: byKind(ourTarballs), official: byKind(officialTarballs) },
    contenders,
  };
};

export const makeScratch = () => fs.mkdtemp(path.join(os.tmpdir(), 'aliyun-bench-'));
