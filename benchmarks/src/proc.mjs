// CPU accounting from Linux's /proc: a process's user + system time, and the whole machine's busy
// time, both in microseconds. Elsewhere these read as `undefined` and the reports say so.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond = 0;

/** Clock ticks per second of /proc's time fields (`getconf CLK_TCK`, 100 on almost every Linux). */
export function clockTicksPerSecond() {
  if (ticksPerSecond === 0) {
    try {
      ticksPerSecond =
        Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/**
 * utime + stime from the text of `/proc/<pid>/stat`, in clock ticks. The command name (field 2)
 * may contain spaces and parentheses, so fields are counted from the last `)`.
 *
 * @param {string} stat
 * @returns {number}
 */
export function parseProcessTicks(stat) {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime))
    throw new Error('unexpected /proc stat format');
  return utime + stime;
}

/**
 * Busy ticks of all CPUs from the first line of `/proc/stat` (everything but idle and iowait).
 *
 * @param {string} stat
 * @returns {number}
 */
export function parseSystemBusyTicks(stat) {
  const line = stat.slice(0, stat.indexOf('\n'));
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
}

/**
 * CPU time a process has used so far, in µs; `undefined` without /proc.
 *
 * @param {number} pid
 * @returns {number | undefined}
 */
export function processCpuMicros(pid) {
  try {
    return (
      (parseProcessTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) * 1e6) / clockTicksPerSecond()
    );
  } catch {
    return undefined;
  }
}

/**
 * CPU time the main thread of a process has used so far, in µs (`/proc/<pid>/task/<pid>/stat`);
 * the rest of the process's time is its helper threads: V8's background garbage collection and
 * compilers, libuv's pool. `undefined` without /proc.
 *
 * @param {number} pid
 * @returns {number | undefined}
 */
export function mainThreadCpuMicros(pid) {
  try {
    return (
      (parseProcessTicks(readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8')) * 1e6) /
      clockTicksPerSecond()
    );
  } catch {
    return undefined;
  }
}

/**
 * Busy CPU time of the whole machine so far, in µs; `undefined` without /proc.
 *
 * @returns {number | undefined}
 */
export function systemBusyMicros() {
  try {
    return (parseSystemBusyTicks(readFileSync('/proc/stat', 'utf8')) * 1e6) / clockTicksPerSecond();
  } catch {
    return undefined;
  }
}
