import type { ConfigIssue, HostConfigError, HostConfigIssue } from './types.js';

/** `templates[2].usageType` → `['templates', 2, 'usageType']`; `''` → `[]`. */
export declare function pathOf(text: string): Array<string | number>;
/**
 * The core's `{ errorDescription, issues }` as a ZodError of the host's zod (a SyntaxError when
 * zod cannot be resolved); any other value unchanged.
 */
export declare function toHostConfigError(
  data: { errorDescription: string; issues: ConfigIssue[] },
  ZodError?: new (issues: HostConfigIssue[]) => Error,
): HostConfigError;
export declare function toHostConfigError<T>(
  data: T,
  ZodError?: new (issues: HostConfigIssue[]) => Error,
): T;
