import type { ConnectorMetadata, ConnectorType } from '@logto/connector-kit';
import type { CreateAliyunConnector, Transport } from './types.js';
import type * as core from './core.js';
import type * as configError from './config-error.js';

export declare function makeCreateConnector(
  kind: 'aliyun-dm',
  metadata: ConnectorMetadata,
): CreateAliyunConnector<ConnectorType.Email>;
export declare function makeCreateConnector(
  kind: 'aliyun-sms' | 'aliyun-sms-auth',
  metadata: ConnectorMetadata,
): CreateAliyunConnector<ConnectorType.Sms>;

/** The host's side of every send (the global fetch, Date.now, randomUUID, a cancellable sleep). */
export declare const transport: Readonly<Transport>;

/** Not for Logto: the bundled shim's inner modules, for the tests and the bench. */
export declare const internals: Readonly<{
  core: typeof core;
  configError: typeof configError;
  transport: Readonly<Transport>;
}>;
