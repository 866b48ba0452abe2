// Spawning benchmark children and talking to them over IPC.
import { fork } from 'node:child_process';
import path from 'node:path';

import { benchDir, preloadUrl, repoRoot } from './setup.mjs';

/**
 * A long-lived worker (lib/worker.mjs) for one contender, started the way every measured
 * process is: the sandbox certificate trusted through NODE_EXTRA_CA_CERTS (read at start-up,
 * hence a child), the Aliyun names redirected by the preload, gc exposed for memory snapshots.
 */
export const startWorker = async ({ certFile, address, port }) => {
  const child = fork(path.join(benchDir, 'lib', 'worker.mjs'), [], {
    cwd: repoRoot,
    // BENCH_CHILD_FLAGS: extra node/V8 flags for every measuring child, for experiments.
    execArgv: [
      '--expose-gc',
      ...(process.env.BENCH_CHILD_FLAGS?.split(' ').filter(Boolean) ?? []),
      '--import',
      preloadUrl,
    ],
    env: {
      ...process.env,
      NODE_EXTRA_CA_CERTS: certFile,
      BENCH_SANDBOX_ADDR: address,
      BENCH_SANDBOX_PORT: String(port),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map();
  let nextId = 1;
  let exited = null;
  const ready = new Promise((resolve, reject) => {
    child.once('exit', (code, signal) =>
      reject(new Error(`worker exited before it was ready (${code ?? signal})`)),
    );
    child.on('message', (message) => {
      if (message.ready) {
        resolve();
        return;
      }
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (message.ok) {
        waiter?.resolve(message.result);
      } else {
        waiter?.reject(new Error(message.error));
      }
    });
  });
  child.on('exit', (code, signal) => {
    exited = code ?? signal;
    for (const { reject } of pending.values()) {
      reject(new Error(`worker exited (${exited})`));
    }
    pending.clear();
  });
  await ready;
  return {
    pid: child.pid,
    call(cmd, args = {}) {
      if (exited !== null) {
        return Promise.reject(new Error(`worker exited (${exited})`));
      }
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ id, cmd, ...args });
      });
    },
    stop() {
      if (exited === null) {
        child.kill();
      }
    },
  };
};
