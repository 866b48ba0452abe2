import type { ConfigIssue, HostConfigError, HostConfigIssue } from './types.js';

/** `templates[2].usageType` → `['templates', 2, 'usageType']`; `''` → `[]`. */
export declare function pathOf(text: string): Array<string | number>;
/**
 * The core's `{ errorDescription, issues }` as a ZodError of the host's zod, the one the kit is
 * built with (a SyntaxError without one, or when `ZodError` is `null`); any other value unchanged.
 */
export declare function toHostConfigError(
  data: { errorDescription: string; issues: ConfigIssue[] },
  ZodError?: (new (issues: HostConfigIssue[]) => Error) | null,
): HostConfigError;
export declare function toHostConfigError<T>(
  data: T,
  ZodError?: (new (issues: HostConfigIssue[]) => Error) | null,
): T;
