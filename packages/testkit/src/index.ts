export { collectSse, type SseEvent } from './sse.js';
export { embed } from './embeddings.js';
export { MAX_BODY_BYTES, startMockUpstream } from './server.js';
export { MOCK_DEFAULTS, type ResolvedOptions } from './options.js';
export {
  MOCK_FAULTS,
  isMockFault,
  type MockFault,
  type MockUpstream,
  type MockUpstreamOptions,
  type RecordedRequest,
} from './types.js';
