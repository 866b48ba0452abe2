import type { Transport, TransportResult } from './types.js';

type NetworkError = Extract<TransportResult, { networkError: unknown }>['networkError'];

export declare function classifyNetworkError(error: unknown): NetworkError;
/** `fetch` defaults to `globalThis.fetch`, looked up per request. */
export declare function createFetchTransport(options?: { fetch?: typeof globalThis.fetch }): Transport;
