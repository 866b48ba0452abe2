import type { ConnectorType } from '@logto/connector-kit';
import type { CreateAliyunConnector, Transport } from './types.js';

export declare function makeCreateConnector(
  kind: 'aliyun-dm',
): CreateAliyunConnector<ConnectorType.Email>;
export declare function makeCreateConnector(
  kind: 'aliyun-sms' | 'aliyun-sms-auth',
): CreateAliyunConnector<ConnectorType.Sms>;

/** The host's side of every send (the global fetch, Date.now, randomUUID, a cancellable sleep). */
export declare const transport: Readonly<Transport>;
