import { makeCreateConnector } from './connector.js';

export default makeCreateConnector('aliyun-sms-auth');
