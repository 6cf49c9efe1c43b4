/**
 * An inspection worker thread: runs the inspection core on one message at a time for the
 * pool (inspection-pool.ts). It reports the header facts first and the verdict after, so
 * that a message whose inspection is cut off at the deadline still has its Subject, From
 * and header layout for the policy, the edit step and the quarantine.
 *
 * The message arrives as a view of the main thread's SharedArrayBuffer: the very bytes,
 * not a copy, and still there on the main thread when this worker is terminated.
 */
import { readlinkSync } from 'node:fs';
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { inspectOptionsOf, type InspectorSettings } from '../config/inspect-options.js';
import { inspect, messageDigest } from '../core/inspect.js';
import { headerFactsOf } from '../message/header-facts.js';
import type { FromWorker, ToWorker } from './worker-messages.js';

const port = parentPort;
if (!port) throw new Error('inspection-worker.js runs only as a worker thread');

let options = inspectOptionsOf((workerData as { settings: InspectorSettings }).settings);
/** nice 10: well below the event loop (0), as a batch job is below an interactive one. */
const WORKER_NICE = 10;
const faultsEnabled = process.env['SEKISHO_TEST_FAULTS'] === '1';
const post = (message: FromWorker): void => port.postMessage(message);

port.on('message', (message: ToWorker) => {
  if (message.type === 'configure') {
    options = inspectOptionsOf(message.settings);
    return;
  }
  // An exception here is a bug; unhandled, it ends this worker, and the pool tempfails the
  // message and starts another worker.
  void run(message.id, message.envelope, message.request, message.message);
});

async function run(id: number, envelope: ToWorkerInspect['envelope'], request: ToWorkerInspect['request'], view: Uint8Array): Promise<void> {
  const message = Buffer.from(view.buffer, view.byteOffset, view.byteLength);
  const headers = headerFactsOf(message);
  const sha256 = messageDigest(message);
  post({ type: 'headers', id, headers, sha256 });
  if (faultsEnabled) injectFault(message, headers.bodyStart);
  const inspection = await inspect(envelope, message, { ...options, ...request, headers, sha256 });
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

/**
 * Inspection yields the CPU to the event loop: with every core busy inspecting hostile
 * mail, the SMTP sessions and the admin port must still be served at once. On Linux a
 * thread has its own nice value (setpriority on its thread id); elsewhere this does nothing.
 */
function lowerPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) os.setPriority(tid, WORKER_NICE);
  } catch {
    // No /proc (not Linux) or not allowed: the worker runs at the process's priority.
  }
}

lowerPriority();
post({ type: 'ready' });
