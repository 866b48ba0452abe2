// Command-line options for the bench and its tools: node:util parseArgs, with a BENCH_* variable
// as the fallback of each option and a `--quick` set of defaults where a script has one.
import { parseArgs } from 'node:util';

/**
 * Parses `argv` against `spec` ({ name: { kind: 'integer' | 'list' | 'string' | 'boolean',
 * full, quick, allowed, env } }); prints `help` and exits for --help; throws with `help` for an
 * unknown option or a bad value. Returns camelCased values.
 */
export const parseOptions = ({
  argv = process.argv.slice(2),
  env = process.env,
  spec,
  help,
  positionals = false,
}) => {
  const options = { help: { type: 'boolean' } };
  for (const [name, { kind }] of Object.entries(spec)) {
    options[name] = { type: kind === 'boolean' ? 'boolean' : 'string' };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: positionals });
  } catch (error) {
    throw new Error(`${error.message}\n\n${help}`, { cause: error });
  }
  if (parsed.values.help) {
    process.stdout.write(help);
    process.exit(0);
  }
  const envOf = (name) => spec[name].env ?? `BENCH_${name.replaceAll('-', '_').toUpperCase()}`;
  const quick = spec.quick ? Boolean(parsed.values.quick ?? env[envOf('quick')] === '1') : false;
  const out = { positionals: parsed.positionals };
  for (const [name, { kind, full, quick: quickDefault = full, allowed }] of Object.entries(spec)) {
    const key = name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    const fallback = quick ? quickDefault : full;
    const given = parsed.values[name] ?? env[envOf(name)];
    if (kind === 'boolean') {
      out[key] =
        name === 'quick'
          ? quick
          : Boolean(parsed.values[name] ?? (env[envOf(name)] === '1' || fallback));
      continue;
    }
    if (given === undefined) {
      out[key] = fallback;
      continue;
    }
    if (kind === 'integer') {
      const value = Number(given);
      if (!Number.isInteger(value) || value <= 0) {
        throw new Error(`--${name} must be a positive integer, got ${given}`);
      }
      out[key] = value;
    } else if (kind === 'list') {
      const items = String(given)
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean);
      for (const item of items) {
        if (allowed && !allowed.includes(item)) {
          throw new Error(
            `--${name}: unknown value ${item}; expected some of ${allowed.join(', ')}`,
          );
        }
      }
      out[key] = items;
    } else {
      out[key] = String(given);
    }
  }
  return out;
};

/** `name=path,…` (the tools' `--dirs`) as `[name, path]` pairs. */
export const namedDirs = (text = '') =>
  text
    .split(',')
    .filter(Boolean)
    .map((spec) => {
      const at = spec.indexOf('=');
      if (at <= 0) throw new Error(`--dirs wants name=path pairs, not ${spec}`);
      return [spec.slice(0, at), spec.slice(at + 1)];
    });
