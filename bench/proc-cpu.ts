// CPU seconds of running processes, read from /proc: for processes the bench
// does not wait for under GNU time (queue workers stopped by a signal, the
// Dovecot and Redis serving every run), and the machine's busy time (were
// the 2 cores the limit, and was anyone else using them?).
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: /proc counts CPU time in these ticks (100 on Linux everywhere in practice). */
const TICKS_PER_SECOND = 100;

interface ProcStat {
  pid: number;
  pgrp: number;
  /** utime + stime + cutime + cstime: the process, its threads and its reaped children. */
  ticks: number;
}

function procStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): field 3 (state) is index 0.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid, pgrp: Number(fields[2]), ticks: [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) };
  } catch {
    return undefined; // gone meanwhile
  }
}

/** CPU seconds of a process so far (its threads and the children it reaped included). */
export function processCpu(pid: number): number {
  return (procStat(pid)?.ticks ?? 0) / TICKS_PER_SECOND;
}

/**
 * CPU seconds of every process of a process group so far (a Dovecot: the
 * master, and its imap and auth processes, whose time moves to the master's
 * when they end). The difference over a run is the group's CPU in the run.
 */
export function groupCpu(pgrp: number): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat?.pgrp === pgrp) ticks += stat.ticks;
  }
  return ticks / TICKS_PER_SECOND;
}

/** The machine's busy and total CPU seconds so far, over all cores (/proc/stat). */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.split(/\s+/).slice(1, 9).map(Number) as number[];
  const busy = user! + nice! + system! + irq! + softirq! + steal!;
  return { busy: busy / TICKS_PER_SECOND, total: (busy + idle! + iowait!) / TICKS_PER_SECOND };
}
