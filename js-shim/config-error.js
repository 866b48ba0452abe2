// The core's config issues in the one form Logto's console can show.
//
// Logto answers an invalid_config ConnectorError with a RequestError whose `details` (the lines
// under "The connector's config is invalid.") exist only for a ZodError of Logto's own zod or a
// SyntaxError (packages/core/src/errors/RequestError). So the issues go to Logto as a ZodError
// of the zod `@logto/connector-kit` is built with, which is Logto core's (both pin the same
// version); zod is never bundled. Without it, a SyntaxError carries the same lines.
import * as kit from '@logto/connector-kit';

let kitZodError;

/**
 * The kit's ZodError class, taken from what one of the kit's own zod guards fails with, on the
 * first config error: resolving `zod` from this package would cost every Logto start-up a
 * third of a millisecond per package. `undefined` when the kit has no such guard.
 */
const hostZodError = () => {
  if (kitZodError === undefined) {
    try {
      const { error } = kit.templateTypeGuard.safeParse(undefined);
      kitZodError = typeof error?.constructor === 'function' ? error.constructor : null;
    } catch {
      kitZodError = null;
    }
  }
  return kitZodError ?? undefined;
};

/** `templates[2].usageType` → `['templates', 2, 'usageType']`; the whole config, `''`, → `[]`. */
export const pathOf = (text) =>
  [...String(text).matchAll(/\[(\d+)\]|[^.[\]]+/g)].map(([part, index]) =>
    index === undefined ? part : Number(index),
  );

const lineOf = ({ path, message }) => (path === '' ? message : `${path}: ${message}`);

/**
 * The error data for the core's `{ errorDescription, issues: [{ path, message }] }`: a ZodError
 * of the host's zod whose issues are zod `custom` issues (the path as an array, our message),
 * or, without one, a SyntaxError whose message lists them one per line. Either keeps
 * `errorDescription` and those `issues` as its own properties, so `data.errorDescription` and
 * `data.issues` stay readable and `JSON.stringify(data)` shows both. Anything else is returned
 * as it is. `ZodError` is a parameter for tests only (`null`: as if the kit had no zod guard).
 */
export const toHostConfigError = (data, ZodError = hostZodError()) => {
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
