/**
 * Child processes of the benchmark: CPU pinning with taskset, and a registry so that every
 * process started here is stopped on exit, on error and on SIGINT.
 */
import { spawn, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/** Servers (mock, proxies, gateways) run on core 0, the load generator on core 1. */
export const CPU = { servers: 0, load: 1 };

/** @typedef {{ pinned: true } | { pinned: false, reason: string }} Pinning */

export const PINNING = detectPinning();

/** @returns {Pinning} */
function detectPinning() {
  if (availableParallelism() < 2) return { pinned: false, reason: 'fewer than 2 CPUs' };
  const probe = spawnSync('taskset', ['-c', String(CPU.load), 'true'], { stdio: 'ignore' });
  if (probe.error !== undefined || probe.status !== 0) {
    return { pinned: false, reason: 'taskset is not available' };
  }
  return { pinned: true };
}

/** @type {Set<import('node:child_process').ChildProcess>} */
const live = new Set();

/**
 * Starts `command args` on the given CPU (unpinned when taskset is unavailable) and registers it.
 * @param {number} cpu
 * @param {string} command
 * @param {string[]} args
 * @param {import('node:child_process').SpawnOptions} options
 */
export function spawnPinned(cpu, command, args, options) {
  const [file, argv] = PINNING.pinned
    ? ['taskset', ['-c', String(cpu), command, ...args]]
    : [command, args];
  // taskset execs the command, so the child's pid is the pinned process itself.
  const child = spawn(file, argv, options);
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

/**
 * Stops one child: SIGTERM, then SIGKILL if it has not exited within `graceMs`.
 * @param {import('node:child_process').ChildProcess} child
 * @param {number} [graceMs]
 */
export async function stopChild(child, graceMs = 3000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Stops every child still running. */
export async function stopAll() {
  await Promise.all([...live].map((child) => stopChild(child)));
}

/** @type {Set<() => void>} synchronous clean-ups (temporary directories) still due */
const cleanups = new Set();

/**
 * Registers a synchronous clean-up that runs on exit unless it has run before.
 * @param {() => void} cleanup
 * @returns {() => void} runs the clean-up now, once
 */
export function atExit(cleanup) {
  const once = () => {
    if (cleanups.delete(once)) cleanup();
  };
  cleanups.add(once);
  return once;
}

/** Last resort on process exit, where nothing asynchronous runs any more. */
export function killAllNow() {
  for (const child of live) child.kill('SIGKILL');
  for (const cleanup of [...cleanups]) cleanup();
}
