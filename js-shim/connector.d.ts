import type { ConnectorType } from '@logto/connector-kit';
import type { CreateAliyunConnector } from './types.js';

export declare function makeCreateConnector(
  kind: 'aliyun-dm',
): CreateAliyunConnector<ConnectorType.Email>;
export declare function makeCreateConnector(
  kind: 'aliyun-sms' | 'aliyun-sms-auth',
): CreateAliyunConnector<ConnectorType.Sms>;
