// pidfdWait keeps its deadline across EINTR (issue 8, defect 16). The wait
// polls on a libuv pool thread, which blocks no signal: a signal handled there
// interrupts poll(2), which is never restarted (man 7 signal). A helper sends
// SIGUSR2 (handled here, harmless) straight to that thread with tgkill(2),
// again and again: a wait that restarted with its full timeout would never end.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { native } from '../../src/native';
import { waitFor } from '../helpers/proc';

// Says "ready", then every 20 ms tgkills every thread of PID that sits in
// poll/ppoll and prints the running count. Gives up after SECONDS. x86_64
// syscall numbers.
const INTERRUPTER = `
import ctypes, os, sys, time
pid, sig, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
libc = ctypes.CDLL(None, use_errno=True)
sent = 0
print('ready', flush=True)
until = time.monotonic() + seconds
while time.monotonic() < until:
    for tid in os.listdir(f'/proc/{pid}/task'):
        try:
            nr = open(f'/proc/{pid}/task/{tid}/syscall').read().split()[0]
        except OSError:
            continue
        if nr in ('7', '271') and libc.syscall(234, pid, int(tid), sig) == 0:
            sent += 1
            print(sent, flush=True)
    time.sleep(0.02)
`;

describe('pidfdWait', () => {
  it.skipIf(process.arch !== 'x64')('times out on time while signals keep interrupting its poll', async () => {
    const n = native();
    const fd = n.pidfdOpen(process.pid); // we stay alive: the wait can only time out
    let handled = 0;
    const onSignal = (): void => void handled++;
    process.on('SIGUSR2', onSignal);
    // python3 may take a second to start on a loaded machine: wait for it first.
    const helper = spawn('python3', ['-I', '-S', '-c', INTERRUPTER, String(process.pid), '12', '10'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let ready = false;
    let sent = 0;
    helper.stdout.on('data', (d: Buffer) => {
      const last = d.toString().trim().split('\n').at(-1)!;
      if (last === 'ready') ready = true;
      else sent = Number(last);
    });
    try {
      await waitFor(() => ready, 15_000, 'the interrupter to start');
      const result = await n.pidfdWait(fd, 1_500);
      // Still signalling when the wait ended: it ended by its own deadline.
      const helperRunning = helper.exitCode === null;
      expect(result).toBe(0);
      expect(sent).toBeGreaterThan(0);
      expect(helperRunning).toBe(true);
      await waitFor(() => handled > 0, 5_000, 'the handler to see SIGUSR2');
    } finally {
      helper.kill('SIGKILL');
      await waitFor(() => helper.exitCode !== null || helper.signalCode !== null, 5_000, 'the helper to end');
      process.off('SIGUSR2', onSignal);
      fs.closeSync(fd);
    }
  });
});
