/**
 * The in-process face of an implementation: the same objects the optconf/1 protocol carries,
 * so a JavaScript optimizer (TensorFlow.js, your own) is checked without a subprocess.
 */
import type { HelloReply, RunReply, RunRequest } from './protocol.ts';

export interface Implementation {
  hello(): HelloReply | Promise<HelloReply>;
  run(request: RunRequest): RunReply | Promise<RunReply>;
  /** ends whatever the implementation started; called once, when the check is over */
  close?(): void | Promise<void>;
}
