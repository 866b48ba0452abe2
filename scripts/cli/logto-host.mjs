// npm start's Logto-like host: scripts/logto-host.mjs, with a package that does not install or
// load reported as the machine's problem (one `error:` line, exit status 3).
import { openLogtoHost as openHost } from '../logto-host.mjs';
import { CliError, exitCodes } from './output.mjs';

export { packageNameOf } from '../logto-host.mjs';

/** See scripts/logto-host.mjs `openLogtoHost`; tarballs is { kind: path }. */
export const openLogtoHost = (tarballs) =>
  openHost(tarballs, {
    prefix: 'logto-start-',
    fail: (message) => new CliError(message, { exitCode: exitCodes.environment }),
  });
