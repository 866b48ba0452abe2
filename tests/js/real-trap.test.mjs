// Trap recovery with a real trap, not a stand-in: the DM package is installed as `logto
// connector add` does, then its pkg/ is swapped for a test build of the core (cargo feature
// `test-trap`, built by scripts/test.sh into target/pkg-trap) whose planSend panics for the
// recipient trap@trap.invalid. A Rust panic under panic=abort executes `unreachable`; the shim
// must turn that into a `general` ConnectorError, re-instantiate the module, and the next send
// through the same connector must be delivered.
//
// Its own file, so Logto's loader (which caches factories per process) loads this instance.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { ConnectorError, ConnectorErrorCodes } from '@logto/connector-kit';
import { buildRawConnector, loadConnectorFactories } from '@logto/cli/lib/connector/index.js';
import { getConnectorPackagesFromDirectory } from '@logto/cli/lib/utils.js';

import { accessKeySecret, dmConfig, sandbox } from './fixtures.mjs';
import { createInstance, kinds, repoRoot, tarballOf } from './host.mjs';

const trapBuild = path.join(repoRoot, 'target', 'pkg-trap');

let sb;
let instance;
let factory;
before(async () => {
  await fs.access(path.join(trapBuild, 'aliyun_connectors_bg.wasm')).catch(() => {
    throw new Error(`${trapBuild} is missing: scripts/test.sh builds it (wasm-pack build -- --features test-trap)`);
  });
  sb = await sandbox();
  const { packageName } = kinds['aliyun-dm'];
  const created = await createInstance([await tarballOf(packageName)]);
  instance = created.instance;
  const pkgDir = path.join(created.connectorsDir, packageName, 'pkg');
  for (const file of ['aliyun_connectors.js', 'aliyun_connectors_bg.wasm']) {
    await fs.copyFile(path.join(trapBuild, file), path.join(pkgDir, file));
  }
  const [loaded] = await loadConnectorFactories(await getConnectorPackagesFromDirectory(created.connectorsDir), false);
  factory = loaded;
});
after(async () => {
  await sb?.close();
  if (instance) {
    await fs.rm(instance, { recursive: true, force: true });
  }
});

test('a real panic in the core → general ConnectorError, a fresh instance, and the next send is delivered', async (t) => {
  const logged = t.mock.method(console, 'error', () => {});
  const { rawConnector } = await buildRawConnector(factory, async () => dmConfig(sb.url));

  const error = await rawConnector
    .sendMessage({ to: 'trap@trap.invalid', type: 'SignIn', payload: { code: '111111' } })
    .then(() => assert.fail('the trap send resolved'), (thrown) => thrown);
  assert.ok(error instanceof ConnectorError, `expected a ConnectorError, got ${error}`);
  assert.equal(error.code, ConnectorErrorCodes.General);
  assert.match(error.data.errorDescription, /trapped/);
  assert.equal(logged.mock.callCount(), 1);
  const line = logged.mock.calls[0].arguments.join(' ');
  assert.match(line, /RuntimeError: unreachable/);
  assert.ok(!line.includes(accessKeySecret));
  assert.equal(sb.requests().length, 0, 'nothing was sent');

  await rawConnector.sendMessage({ to: 'user@example.com', type: 'SignIn', payload: { code: '222222' } });
  const deliveries = sb.deliveries();
  assert.equal(deliveries.length, 1);
  assert.equal(deliveries[0].to, 'user@example.com');
  assert.match(deliveries[0].htmlBody ?? '', /222222/);

  // And again: the reloaded instance traps and recovers just the same.
  await assert.rejects(rawConnector.sendMessage({ to: 'trap@trap.invalid', type: 'SignIn', payload: { code: '3' } }), ConnectorError);
  await rawConnector.sendMessage({ to: 'user2@example.com', type: 'SignIn', payload: { code: '444444' } });
  assert.equal(sb.deliveries().length, 2);
});
