#!/usr/bin/env python3
# The bench's launcher, and with --subreaper a prompt reaper (prctl(2)
# PR_SET_CHILD_SUBREAPER): every command the bench times runs as a child of
# this process, so all contenders are spawned and waited for by the same code,
# and a daemon that double-forks is re-parented here, not to PID 1 (which on
# these machines reaps orphans only every 1-2 s).
#
# Protocol, one JSON object per line:
#   in:  {"id": N, "argv": [...], "env": {...}, "out": "/path/for/stdout+stderr"}
#   out: {"id": N, "spawned": P, "t0": ns}                                 once it runs
#        {"id": N, "pid": P, "t0": ns, "t1": ns, "cpu": ms, "code": C, "signal": S}  when it exits
#        {"orphan": P, "t": ns, "code": C, "signal": S}                  (--subreaper) a reaped orphan
# t0 is taken just before posix_spawn(3), t1 just after wait4(2) returned;
# both are CLOCK_MONOTONIC nanoseconds, the clock of node's process.hrtime.
# cpu is the command's user + system time (getrusage(2), with the children it
# reaped itself): unlike wall time, it hardly moves when others load the machine.
# It exits when its stdin closes.
import ctypes
import json
import os
import select
import signal
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def set_subreaper():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        sys.exit(f"reaper: prctl(PR_SET_CHILD_SUBREAPER): {os.strerror(err)}")


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def exit_fields(status):
    if os.WIFSIGNALED(status):
        return {"code": None, "signal": os.WTERMSIG(status)}
    return {"code": os.WEXITSTATUS(status), "signal": None}


def launch(req, running):
    out = req.get("out") or os.devnull
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    argv = req["argv"]
    t0 = time.monotonic_ns()
    try:
        # Python ignores SIGPIPE and SIGXFSZ; an exec'd program must get the defaults back.
        pid = os.posix_spawnp(argv[0], argv, req["env"], file_actions=actions, setsid=True,
                              setsigdef=(signal.SIGPIPE, signal.SIGXFSZ))
    except OSError as e:
        emit({"id": req["id"], "pid": None, "t0": t0, "t1": time.monotonic_ns(), "code": None,
              "signal": None, "error": f"{argv[0]}: {e.strerror}"})
        return
    running[pid] = (req["id"], t0)
    emit({"id": req["id"], "spawned": pid, "t0": t0})


def reap(running, subreaper):
    while True:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        t1 = time.monotonic_ns()
        if pid in running:
            rid, t0 = running.pop(pid)
            cpu = (usage.ru_utime + usage.ru_stime) * 1000
            emit({"id": rid, "pid": pid, "t0": t0, "t1": t1, "cpu": cpu, **exit_fields(status)})
        elif subreaper:
            emit({"orphan": pid, "t": t1, **exit_fields(status)})


def main():
    subreaper = "--subreaper" in sys.argv[1:]
    if subreaper:
        set_subreaper()
    # SIGCHLD wakes select() through this pipe; the handler itself does nothing.
    rfd, wfd = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wfd)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)  # the bench decides when we end: stdin closes
    running = {}
    buf = b""
    stdin = sys.stdin.fileno()
    emit({"ready": os.getpid(), "subreaper": subreaper})
    while True:
        try:
            readable, _, _ = select.select([stdin, rfd], [], [])
        except InterruptedError:
            continue
        if rfd in readable:
            try:
                while os.read(rfd, 512):
                    pass
            except BlockingIOError:
                pass
        reap(running, subreaper)
        if stdin in readable:
            chunk = os.read(stdin, 65536)
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if line.strip():
                    launch(json.loads(line), running)
    # The commands we started are the bench's to clean up; reap what has already exited.
    reap(running, subreaper)


if __name__ == "__main__":
    main()
