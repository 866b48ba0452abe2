import { makeCreateConnector } from './connector.js';
// The build (scripts/build.mjs) resolves this to what the core's getMetadata answers for the kind.
import metadata from './metadata.json' with { type: 'json' };

export default makeCreateConnector('aliyun-dm', metadata);
export { internals } from './connector.js';
