// Bootstrap of a reference worker (conformance/adapters/reference-pool.ts): a worker thread does not inherit the
// parent's TypeScript loader on every Node 20 release, so it registers tsx itself, then loads the .ts module.
import { register } from 'tsx/esm/api';

register();
await import('./reference-worker.ts');
