import type { Delivered, Envelope, Kind, SendInput, Transport } from './types.js';
import type { ConnectorMetadata } from '@logto/connector-kit';

export declare function isEnvelope(value: unknown): value is Envelope<unknown>;
/** The value of an ok envelope; otherwise throws `ConnectorError(error.code, error.data)`. */
export declare function unwrap<T>(envelope: Envelope<T>): T;
export declare function getMetadata(kind: Kind): Envelope<ConnectorMetadata>;
export declare function validateConfig(
  kind: Kind,
  config: unknown,
): Envelope<Record<string, unknown>>;
export declare function sendMessage(
  kind: Kind,
  input: SendInput,
  transport: Transport,
): Promise<Envelope<Delivered>>;

/** Test hooks; not public API. */
export declare const __testing: {
  reload(): void;
  replaceExports(standIn: Record<string, (...args: unknown[]) => unknown>): void;
  exports(): Record<string, unknown>;
};
