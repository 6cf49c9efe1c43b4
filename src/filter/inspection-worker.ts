/**
 * An inspection worker thread: runs the inspection core on one message at a time for the
 * pool (inspection-pool.ts). It reports the header facts first and the verdict after, so
 * that a message whose inspection is cut off at the deadline still has its Subject, From
 * and header layout for the policy, the edit step and the quarantine.
 *
 * The message arrives as a view of the main thread's SharedArrayBuffer: the very bytes,
 * not a copy, and still there on the main thread when this worker is terminated.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { inspectOptionsOf, type InspectorSettings } from '../config/inspect-options.js';
import { inspect } from '../core/inspect.js';
import { headerFactsOf } from '../message/header-facts.js';
import type { FromWorker, ToWorker } from './worker-messages.js';

const port = parentPort;
if (!port) throw new Error('inspection-worker.js runs only as a worker thread');

let options = inspectOptionsOf((workerData as { settings: InspectorSettings }).settings);
const faultsEnabled = process.env['SEKISHO_TEST_FAULTS'] === '1';
const post = (message: FromWorker): void => port.postMessage(message);

port.on('message', (message: ToWorker) => {
  if (message.type === 'configure') {
    options = inspectOptionsOf(message.settings);
    return;
  }
  // An exception here is a bug; unhandled, it ends this worker, and the pool tempfails the
  // message and starts another worker.
  void run(message.id, message.envelope, message.message);
});

async function run(id: number, envelope: ToWorkerInspect['envelope'], view: Uint8Array): Promise<void> {
  const message = Buffer.from(view.buffer, view.byteOffset, view.byteLength);
  const headers = headerFactsOf(message);
  post({ type: 'headers', id, headers });
  if (faultsEnabled) injectFault(message, headers.bodyStart);
  const inspection = await inspect(envelope, message, { ...options, headers });
  post({ type: 'done', id, inspection });
}

type ToWorkerInspect = Extract<ToWorker, { type: 'inspect' }>;

/**
 * Test-only (SEKISHO_TEST_FAULTS=1, never set in production): a message with the header
 * `X-Sekisho-Test-Fault: crash|exit|memory|hang` makes this worker fail the way a bug or a
 * hostile message could — an exception, an exit, running out of heap, a CPU-bound stall.
 */
function injectFault(message: Buffer, bodyStart: number): void {
  const header = message.subarray(0, bodyStart).toString('latin1');
  const fault = /^X-Sekisho-Test-Fault:[ \t]*(\w+)/im.exec(header)?.[1];
  if (fault === 'crash') throw new Error('test fault: crash');
  if (fault === 'exit') process.exit(3);
  if (fault === 'memory') {
    const hoard: string[][] = [];
    for (;;) hoard.push(new Array<string>(1_000_000).fill('x'.repeat(16)));
  }
  if (fault === 'hang') for (;;);
}

post({ type: 'ready' });
