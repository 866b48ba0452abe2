// What `npm start` prints, and how it fails.
//
// Progress is one line per step on stdout; failures are `error: …` on stderr. Every line goes
// through `mask`, so a secret that reaches a message by any path (an error description, a
// config echoed back, a bug) is printed as `****`.

/** An expected failure: printed as one clear line (plus `details`), never with a stack. */
export class CliError extends Error {
  /**
   * @param {string} message the `error: …` line
   * @param {{ exitCode?: number, details?: string[] }} [options] extra lines (e.g. one per config issue)
   */
  constructor(message, { exitCode = exitCodes.failed, details = [] } = {}) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.details = details;
  }
}

/** The exit statuses `--help` documents. */
export const exitCodes = Object.freeze({
  ok: 0,
  // The send or the demo failed: Aliyun (or the sandbox) refused, or an unexpected bug.
  failed: 1,
  // The command line or the config file is wrong: fix the input and run again.
  usage: 2,
  // The machine is not ready: a busy port, a failed tool install or build, a package Logto's
  // loader would not load.
  environment: 3,
});

const secrets = new Set();

/**
 * Values never to print. Short strings are left out: masking every "ab" would garble the output
 * and protects nothing.
 */
export const addSecret = (value) => {
  if (typeof value === 'string' && value.length >= 4) {
    secrets.add(value);
    // The same value as it appears in a form body or a URL.
    secrets.add(encodeURIComponent(value));
  }
};

export const mask = (text) => {
  let masked = String(text);
  for (const secret of secrets) {
    masked = masked.split(secret).join('****');
  }
  return masked;
};

// Writes to a pipe or a file are synchronous on Linux, so nothing is lost when we exit right after.
const writeLine = (stream, line) => stream.write(`${mask(line)}\n`);

/** A printer for one command: `[tag] step` lines, indented `label  value` details, errors. */
export const printer = (tag) => ({
  step: (message) => writeLine(process.stdout, `[${tag}] ${message}`),
  detail: (label, value) => writeLine(process.stdout, `  ${label.padEnd(12)} ${value}`),
  /** A continuation of the previous detail line. */
  more: (value) => writeLine(process.stdout, `  ${''.padEnd(12)} ${value}`),
  error: (message) => writeLine(process.stderr, `error: ${message}`),
  errorDetail: (message) => writeLine(process.stderr, `  ${message}`),
});

/** Escape codes out of text captured from tools that colour their output (chalk). */
// eslint-disable-next-line no-control-regex -- ESC is the character to match
export const stripAnsi = (text) => String(text).replace(/\u001b\[[0-9;]*m/g, '');

/** First line of a message, trimmed to something that fits one terminal line or two. */
export const oneLine = (text, max = 240) => {
  const [first = ''] = stripAnsi(text).trim().split('\n');
  return first.length > max ? `${first.slice(0, max - 1)}…` : first;
};

// Ctrl-C (or SIGTERM). By default it exits at once, through process.exit so that 'exit'
// listeners (temp dir removal) run; the demo's serving phase takes it over to stop gracefully.
const exitNow = () => {
  process.stderr.write('interrupted\n');
  process.exit(130);
};
let onInterrupt = exitNow;

/** Installs the one SIGINT/SIGTERM listener; call once at start-up. */
export const handleInterrupts = () => {
  process.on('SIGINT', () => onInterrupt());
  process.on('SIGTERM', () => onInterrupt());
};

/** What the next Ctrl-C does; `null` restores the immediate exit. */
export const setInterruptHandler = (handler) => {
  onInterrupt = handler ?? exitNow;
};
