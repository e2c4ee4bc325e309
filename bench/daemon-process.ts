// A `--watch` daemon run by the bench: started as its own Node process (its
// pid is the daemon's, for /proc), logs in files, its first pass awaited
// through the control socket, stopped with SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { imapfwCommand } from './imapfw-command.js';
import { DaemonClient } from '../src/api/index.js';
import { PASSWORD_ENV, type Mirror } from './contenders.js';

const FIRST_PASS_MS = 10 * 60_000;
/** Clock ticks per second of /proc/PID/stat (getconf CLK_TCK: 100 on Linux). */
const CLOCK_TICKS = 100;

export class DaemonProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly stateDir: string,
    private readonly exited: Promise<number | null>,
    private readonly errFile: string,
  ) {}

  /** `imapfw <mirror.mode> --watch` on a mirror set up by runMirror (same Maildir and state). */
  static start(mirror: Mirror, imapfw: string): DaemonProcess {
    const { server, user, password } = mirror.account;
    const stateDir = path.join(mirror.dir, 'state');
    const logBase = path.join(mirror.dir, `${mirror.mode}-watch`);
    const [out, err] = [openSync(`${logBase}.out`, 'w'), openSync(`${logBase}.err`, 'w')];
    const args = [mirror.mode, '--watch', '--remote', server.url(user), '--maildir', mirror.maildir, '--password-env', PASSWORD_ENV, '--state-dir', stateDir, '--log-level', 'info'];
    const child = spawn(...imapfwCommand(imapfw, args), { stdio: ['ignore', out, err], env: { ...process.env, [PASSWORD_ENV]: password } });
    closeSync(out);
    closeSync(err);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return new DaemonProcess(child, stateDir, exited, `${logBase}.err`);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Waits until the daemon's first pass has ended (its status shows a last pass). */
  async firstPass(): Promise<void> {
    const deadline = performance.now() + FIRST_PASS_MS;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`the daemon exited with ${this.child.exitCode}:\n${this.logTail()}`);
      const status = await DaemonClient.connect(this.stateDir)
        .then(async (client) => {
          try {
            return await client.status();
          } finally {
            client.close();
          }
        })
        .catch(() => undefined);
      if (status?.accounts.every((account) => account.lastPass !== undefined)) return;
      if (performance.now() > deadline) throw new Error(`the daemon's first pass did not end in ${FIRST_PASS_MS / 1000} s:\n${this.logTail()}`);
      await sleep(200);
    }
  }

  /** CPU seconds (user + sys) the daemon used so far, all its threads. */
  cpuSeconds(): number {
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  }

  /** Bytes: the peak resident set so far (VmHWM) and the current one (VmRSS). */
  memory(): { peak: number; now: number } {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { peak: kib('VmHWM'), now: kib('VmRSS') };
  }

  /** SIGTERM, then the exit (143 expected). */
  async stop(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    const code = await this.exited;
    if (code !== 143) throw new Error(`the daemon exited with ${code} on SIGTERM, not 143:\n${this.logTail()}`);
  }

  logTail(): string {
    return readFileSync(this.errFile, 'utf8').trim().split('\n').slice(-15).join('\n');
  }
}
