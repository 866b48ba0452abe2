// The core's config issues in the one form Logto's console can show.
//
// Logto answers an invalid_config ConnectorError with a RequestError whose `details` (the lines
// under "The connector's config is invalid.") exist only for a ZodError of Logto's own zod or a
// SyntaxError (packages/core/src/errors/RequestError). So the issues go to Logto as a ZodError
// made with the host's zod, which `@logto/connector-kit` depends on and which resolves from this
// package as it does from Logto core; zod is never bundled. Without it, a SyntaxError carries
// the same lines. This file imports nothing else.

// Asked for once, with the package, and not awaited: Logto has loaded zod already, so this is a
// module-cache lookup that settles long before Logto validates a config; a top-level await
// would make every import of the package wait for it. Until it settles (or if it fails), the
// issues go out as a SyntaxError.
let HostZodError;
import('zod').then(
  ({ ZodError }) => {
    HostZodError = typeof ZodError === 'function' ? ZodError : undefined;
  },
  () => {},
);

/** `templates[2].usageType` → `['templates', 2, 'usageType']`; the whole config, `''`, → `[]`. */
export const pathOf = (text) =>
  [...String(text).matchAll(/\[(\d+)\]|[^.[\]]+/g)].map(([part, index]) =>
    index === undefined ? part : Number(index),
  );

const lineOf = ({ path, message }) => (path === '' ? message : `${path}: ${message}`);

/**
 * The error data for the core's `{ errorDescription, issues: [{ path, message }] }`: a ZodError
 * of the host's zod whose issues are zod `custom` issues (the path as an array, our message),
 * or, when zod could not be loaded, a SyntaxError whose message lists them one per line. Either
 * keeps `errorDescription` and those `issues` as its own properties, so `data.errorDescription`
 * and `data.issues` stay readable and `JSON.stringify(data)` shows both. Anything else is
 * returned as it is. `ZodError` is a parameter for tests only.
 */
export const toHostConfigError = (data, ZodError = HostZodError) => {
  if (typeof data !== 'object' || data === null || !Array.isArray(data.issues)) {
    return data;
  }
  const { errorDescription, issues } = data;
  const zodIssues = issues.map(({ path, message }) => ({
    code: 'custom',
    path: pathOf(path),
    message: String(message),
  }));
  if (ZodError) {
    try {
      return Object.assign(new ZodError(zodIssues), { errorDescription });
    } catch {
      // A zod whose ZodError takes other arguments: the SyntaxError still shows the text.
    }
  }
  return Object.assign(new SyntaxError(issues.map(lineOf).join('\n')), {
    errorDescription,
    issues: zodIssues,
  });
};
