// CPU time and memory of processes, read from /proc (Linux).
import fs from 'node:fs';

const TICKS = 100; // USER_HZ on Linux

/** utime + stime of a process in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

/** Proportional set size and private memory of a process, in KiB. */
export function memoryKiB(pid: number): { pss: number; private: number } {
  const text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { pss: field('Pss'), private: field('Private_Clean') + field('Private_Dirty') };
}
