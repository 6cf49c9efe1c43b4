import v8 from 'node:v8';

/**
 * V8 settings for the long-running daemon, set before the inspection workers start (each
 * worker thread is an isolate of its own and reads them when it is made).
 *
 * `--no-memory-reducer`: when a process goes quiet, V8's memory reducer runs full garbage
 * collections that shrink the heap and throw away optimised code. Mail comes in bursts:
 * measured on this project's relay bench, 1,470 msg/s warm fell to 780–860 msg/s for the
 * first 3,000 messages after 30 s without mail and had not fully recovered 3,000 messages
 * later; without the reducer the burst after the pause ran at 1,510. The heap stays at the
 * size the last burst needed instead of shrinking, which the memory budgets already allow
 * for (inspect.worker_memory bounds each worker; docs/security.md has the soak's peak RSS).
 */
export function tuneV8ForServing(): void {
  v8.setFlagsFromString('--no-memory-reducer');
}
