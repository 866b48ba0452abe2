#!/usr/bin/env node
// `npm start`: the product end to end without an Aliyun account, and a terminal version of the
// console's Test button for real credentials. `npm start -- --help` has the details.
//
//   npm start                    build if needed, start the sandbox, send one email and one SMS
//                                through both packages as Logto loads them, print an account of
//                                each, keep the sandbox running until Ctrl-C
//   npm start -- --once          the same, then exit (scripts, CI)
//   npm start -- send --config my-dm.json --to someone@example.com [--type SignIn] [--locale zh-CN]
//
// The pieces live in scripts/cli/: args (command line), prepare (tools and build), logto-host
// (@logto/cli's installer and loader), demo, send, account (what the sandbox saw), output.
import process from 'node:process';

import { parseCommandLine, usage } from './cli/args.mjs';
import { CliError, exitCodes, handleInterrupts, mask, printer } from './cli/output.mjs';

const run = async (argv) => {
  const options = parseCommandLine(argv);
  switch (options.command) {
    case 'help':
      console.log(usage);
      return exitCodes.ok;
    case 'send': {
      const { runSend } = await import('./cli/send.mjs');
      return runSend(options);
    }
    default: {
      const { runDemo } = await import('./cli/demo.mjs');
      return runDemo(options);
    }
  }
};

/**
 * Expected failures (CliError) are one line, plus details such as config issues; anything else
 * is a bug and keeps its stack, masked like everything else.
 */
const report = (error) => {
  const out = printer('start');
  if (error instanceof CliError) {
    out.error(error.message);
    error.details.forEach(out.errorDetail);
    return error.exitCode;
  }
  process.stderr.write(
    `${mask(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`,
  );
  out.error('unexpected failure (the stack above is a bug worth reporting)');
  return exitCodes.failed;
};

handleInterrupts();
// Exit explicitly: keep-alive sockets to Aliyun would otherwise hold the process a few seconds.
run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => process.exit(report(error)),
);
