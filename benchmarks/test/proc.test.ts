import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  clockTicksPerSecond,
  mainThreadCpuMicros,
  parseProcessTicks,
  parseSystemBusyTicks,
  processCpuMicros,
  systemBusyMicros,
} from '../src/proc.mjs';

describe('parseProcessTicks', () => {
  it('adds utime and stime, counting fields after the command name', () => {
    const stat =
      '4242 (node server) S 1 4242 4242 0 -1 4194560 5000 0 0 0 1234 567 0 0 20 0 11 0 1000 ' +
      '1000000 20000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0';
    expect(parseProcessTicks(stat)).toBe(1234 + 567);
  });

  it('is not fooled by parentheses in the command name', () => {
    const stat = '7 (a) b (c)) R 1 7 7 0 -1 0 0 0 0 0 10 20 0 0 20 0 1 0 5 0 0';
    expect(parseProcessTicks(stat)).toBe(30);
  });

  it('throws on text that is not a stat line', () => {
    expect(() => parseProcessTicks('nonsense')).toThrow(/format/);
  });
});

describe('parseSystemBusyTicks', () => {
  it('counts user, nice, system, irq, softirq and steal, not idle or iowait', () => {
    const stat = 'cpu  100 5 50 10000 300 7 3 2 0 0\ncpu0 50 2 25 5000 150 3 1 1 0 0\n';
    expect(parseSystemBusyTicks(stat)).toBe(100 + 5 + 50 + 7 + 3 + 2);
  });
});

describe.runIf(existsSync('/proc/self/stat'))('on Linux', () => {
  it('reads this process’s CPU time, which grows while it works', () => {
    const before = processCpuMicros(process.pid);
    const until = Date.now() + 100 + 3000 / clockTicksPerSecond();
    let spin = 0;
    while (Date.now() < until) spin++;
    const after = processCpuMicros(process.pid);
    expect(spin).toBeGreaterThan(0);
    expect(before).toBeGreaterThan(0);
    expect(after).toBeGreaterThan(before!);
    expect(systemBusyMicros()).toBeGreaterThan(0);
  });

  it('reads the main thread’s share: its work counts there, and never above the process', () => {
    const before = mainThreadCpuMicros(process.pid);
    const until = Date.now() + 100 + 3000 / clockTicksPerSecond();
    while (Date.now() < until);
    const after = mainThreadCpuMicros(process.pid);
    const whole = processCpuMicros(process.pid);
    expect(after).toBeGreaterThan(before!);
    expect(after).toBeLessThanOrEqual(whole!);
  });

  it('reads nothing for a process that does not exist', () => {
    expect(processCpuMicros(2 ** 30)).toBeUndefined();
    expect(mainThreadCpuMicros(2 ** 30)).toBeUndefined();
  });
});
