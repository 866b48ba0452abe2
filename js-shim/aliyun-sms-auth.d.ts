import type { ConnectorType } from '@logto/connector-kit';
import type { CreateAliyunConnector } from './types.js';

declare const createConnector: CreateAliyunConnector<ConnectorType.Sms>;
export default createConnector;
export { internals } from './connector.js';
