// Makes sure dist/ holds both packages, built from the current sources, before anything loads
// them. The tools and the build run as child processes with their (long) output in one log
// file, so the terminal shows one line per step and a failure names the log to read.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { distPackageDir, isDistFresh, isPkgFresh, packages, root } from '../build.mjs';
import { CliError, exitCodes, oneLine, stripAnsi } from './output.mjs';

export const buildLog = path.join(root, 'target', 'npm-start-build.log');
const relative = (file) => path.relative(process.cwd(), file) || file;

/** dist/<name>-<version>.tgz of each kind, from the version in dist/<name>/package.json. */
export const builtTarballs = () =>
  Object.fromEntries(
    packages.map(({ kind, name }) => {
      const manifest = path.join(distPackageDir(name), 'package.json');
      if (!fs.existsSync(manifest)) {
        return [kind, null];
      }
      const { version } = JSON.parse(fs.readFileSync(manifest, 'utf8'));
      const tarball = path.join(root, 'dist', `${name}-${version}.tgz`);
      return [kind, fs.existsSync(tarball) ? tarball : null];
    }),
  );

// What loading the packages needs from node_modules: Logto's CLI (the loader) and the kit.
const dependenciesPresent = () =>
  ['@logto/cli', '@logto/connector-kit'].every((name) =>
    fs.existsSync(path.join(root, 'node_modules', ...name.split('/'), 'package.json')),
  );

/** Why a build is needed, or null when dist/ is current. */
const staleReason = () => {
  const tarballs = Object.values(builtTarballs());
  if (tarballs.includes(null)) {
    return 'dist/ has no packages yet';
  }
  if (!isPkgFresh()) {
    return 'the Rust sources changed since the last build';
  }
  if (!isDistFresh()) {
    return 'js-shim/ or packaging/ changed since the last build';
  }
  return null;
};

/**
 * What went wrong, from the log: the tool's own verdict when it printed one, and the first
 * compiler error with its location (rustc's `error: …` then `--> file:line:col`), which is
 * usually the cause.
 */
const failureLine = (logText) => {
  const lines = stripAnsi(logText)
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const verdict = [...lines]
    .reverse()
    .find((line) => /^\[(build|tools)\].*(FAILED|MISSING|could not)/.test(line));
  const summary = oneLine(
    (verdict ?? lines.at(-1) ?? 'no output').replace(/^\[(build|tools)\] (FAILED: )?/, ''),
  );
  const first = lines.findIndex((line) => /^error(\[E\d+\])?: /.test(line));
  if (first === -1) {
    return summary;
  }
  const location = lines[first + 1]?.startsWith('--> ') ? ` (${lines[first + 1].slice(4)})` : '';
  return `${summary}; first error: ${oneLine(lines[first].replace(/^error(\[E\d+\])?: /, ''), 120)}${location}`;
};

/**
 * Runs one command with stdout and stderr appended to the build log. A long step prints a
 * line now and then, so a first build (several minutes) does not look hung.
 */
const runLogged = (say, { step, what }, command, args) =>
  new Promise((resolve, reject) => {
    fs.appendFileSync(
      buildLog,
      `\n$ ${command} ${args.join(' ')}   (${new Date().toISOString()})\n`,
    );
    const fd = fs.openSync(buildLog, 'a');
    const started = Date.now();
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', fd, fd] });
    fs.closeSync(fd);
    const heartbeat = setInterval(() => {
      say(`${step}: still running (${Math.round((Date.now() - started) / 60_000)} min)`);
    }, 60_000);
    // A child that cannot start reports 'error' and may still report 'exit': answer once.
    let settled = false;
    const fail = (why) => {
      if (settled) {
        return;
      }
      settled = true;
      clearInterval(heartbeat);
      const reason = failureLine(fs.readFileSync(buildLog, 'utf8'));
      reject(
        new CliError(`${what} failed (${why}): ${reason}; full log: ${relative(buildLog)}`, {
          exitCode: exitCodes.environment,
        }),
      );
    };
    child.once('error', (error) => fail(`${command} could not start: ${error.message}`));
    child.once('exit', (code, signal) => {
      if (code === 0 && !settled) {
        settled = true;
        clearInterval(heartbeat);
        resolve(Math.round((Date.now() - started) / 1000));
      } else {
        fail(signal ? `killed by ${signal}` : `exit status ${code}`);
      }
    });
  });

/**
 * The tarballs by kind, building first when needed. `build: false` (--no-build) takes dist/ as
 * it is, which CI wants after its own build step and tests want while other suites use dist/.
 */
export const preparePackages = async (say, { build = true } = {}) => {
  const reason = staleReason();
  if (!build) {
    const tarballs = builtTarballs();
    if (Object.values(tarballs).includes(null)) {
      throw new CliError(
        'dist/ has no built packages: run npm run build, or leave out --no-build',
        {
          exitCode: exitCodes.environment,
        },
      );
    }
    if (!dependenciesPresent()) {
      throw new CliError('node_modules lacks @logto/cli: run npm ci, or leave out --no-build', {
        exitCode: exitCodes.environment,
      });
    }
    say(`packages: dist/ as it is (--no-build${reason ? `; note: ${reason}` : ''})`);
    return tarballs;
  }
  if (!reason && dependenciesPresent()) {
    say('packages: dist/ is up to date with the sources');
    return builtTarballs();
  }

  fs.mkdirSync(path.dirname(buildLog), { recursive: true });
  fs.writeFileSync(buildLog, `npm start: ${reason ?? 'npm dependencies are missing'}\n`);
  // The project's one installer: fast when everything is there, installs what is missing
  // (npm packages, the wasm32 target, wasm-pack, wasm-opt) on a fresh machine.
  say(`tools: checking with scripts/ensure-tools.sh (log: ${relative(buildLog)})`);
  await runLogged(say, { step: 'tools', what: 'scripts/ensure-tools.sh' }, 'bash', [
    path.join('scripts', 'ensure-tools.sh'),
  ]);
  if (!reason) {
    return builtTarballs();
  }
  say(`build: ${reason}; building (a minute, several on a first run)`);
  const seconds = await runLogged(say, { step: 'build', what: 'the build' }, process.execPath, [
    path.join('scripts', 'build.mjs'),
  ]);

  // The build's exit status is the verdict on freshness (a file touched meanwhile is not a
  // failure); only check that it left the tarballs.
  const tarballs = builtTarballs();
  if (Object.values(tarballs).includes(null)) {
    throw new CliError(
      `the build finished but left no tarballs in dist/; full log: ${relative(buildLog)}`,
      {
        exitCode: exitCodes.environment,
      },
    );
  }
  say(
    `build: done in ${seconds} s: ${Object.values(tarballs)
      .map((file) => path.relative(root, file))
      .join(', ')}`,
  );
  return tarballs;
};
