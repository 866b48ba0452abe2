#!/usr/bin/env node
// Run the sandbox on its own:  node sandbox/cli.mjs [--port 8787] [--journal FILE]
//   [--key ID:SECRET[:STS_TOKEN]]...   (default key: sandbox-key-id / sandbox-key-secret)
// It answers SingleSendMail, SendSms and SendSmsVerifyCode (SMS authentication) on one URL;
// sandbox/README.md has the checks, the codes, the fault triggers and an example request.
// Ctrl-C stops it.
import { parseArgs } from 'node:util';
import { API, startSandbox } from './index.mjs';

const USAGE = `usage: node sandbox/cli.mjs [--port 8787] [--host 127.0.0.1] [--journal FILE]
                          [--key ID:SECRET[:STS_TOKEN]]... [--quiet]
Answers ${Object.keys(API).join(', ')} (signature V1); see sandbox/README.md.`;

let args;
try {
  args = parseArgs({
    options: {
      port: { type: 'string', default: process.env.SANDBOX_PORT ?? '8787' },
      host: { type: 'string', default: '127.0.0.1' },
      journal: { type: 'string' },
      key: { type: 'string', multiple: true },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values;
} catch (e) {
  console.error(`${e.message}\n${USAGE}`);
  process.exit(2);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}

const credentials = {};
for (const spec of args.key ?? ['sandbox-key-id:sandbox-key-secret']) {
  const [id, secret, securityToken] = spec.split(':');
  if (!id || !secret) {
    console.error(`--key must be ID:SECRET[:STS_TOKEN], got ${JSON.stringify(spec)}`);
    process.exit(2);
  }
  credentials[id] = securityToken ? { secret, securityToken } : { secret };
}

const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a port number, got ${args.port}`);
  process.exit(2);
}

const sb = await startSandbox({
  host: args.host,
  port,
  credentials,
  journal: args.journal,
  log: args.quiet ? undefined : (line) => console.log(line),
});
console.log(`Aliyun sandbox listening on ${sb.url}`);
console.log(`inbox: ${sb.url}__sandbox/`);
console.log(
  `actions: ${Object.entries(API)
    .map(([action, { version }]) => `${action} (${version})`)
    .join(', ')}`,
);
// The secret is never printed, only the key ids.
console.log(`access key ids: ${Object.keys(credentials).join(', ')}`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await sb.close();
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
