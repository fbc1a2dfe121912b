#!/usr/bin/env bash
# npm run test:asan: the unit and integration tests against the addon built
# with AddressSanitizer and UndefinedBehaviorSanitizer (build/Debug; see
# TASKDAEMON_SANITIZE in binding.gyp; build/Release is left alone).
# node is not instrumented, so libasan is preloaded into every process, and
# TD_TEST_ADDON makes the CLI and the daemons it execs load the sanitized
# build (daemons get a clean environment: TASKDAEMON_PASS_ENV hands them these). A daemon's stderr is its log, so ASan reports go to files; any
# report fails the run. (UBSan combined with ASan ignores log_path under gcc
# 12: its reports go to stderr, where the output of vitest is searched for
# them; one in a daemon kills it, which fails its test.) Extra arguments go to
# vitest (e.g. one test file).
set -euo pipefail
cd "$(dirname "$0")/.."

TASKDAEMON_SANITIZE=1 npx node-gyp configure --loglevel=warn >/dev/null
npx node-gyp build --debug --loglevel=warn >/dev/null
addon="$PWD/build/Debug/taskdaemon.node"
[[ "$(ldd "$addon")" == *libasan* ]] || { echo "test:asan: $addon is not built with AddressSanitizer" >&2; exit 1; }

reports=$(mktemp -d /tmp/td-asan-XXXXXX)
trap 'rm -rf "$reports"' EXIT
chmod 1777 "$reports" # daemons that dropped to nobody write their reports here too

# The preload reaches every program the tests run. Programs that are not ours
# run without it: python3 starts ten times slower with it (the sd_notify
# receiver would miss its deadlines), and groff's troff has an
# alloc-dealloc mismatch of its own that ASan reports (the man page test).
mkdir "$reports/.bin"
for prog in python3 man groff troff grotty nroff preconv tbl; do
  real=$(command -v "$prog") || continue
  printf '#!/bin/sh\nunset LD_PRELOAD\nexec %s "$@"\n' "$real" > "$reports/.bin/$prog"
  chmod 755 "$reports/.bin/$prog"
done
chmod 755 "$reports/.bin"

# detect_leaks=0: node itself does not free everything at exit, and is not ours to judge.
# UBSan's checks are compiled with -fno-sanitize-recover: the first one ends the process.
[ $# -gt 0 ] || set -- test/unit test/integration
status=0
# Every node start pays for the sanitizer: the tests get four times their usual time.
PATH="$reports/.bin:$PATH" \
LD_PRELOAD="$(gcc -print-file-name=libasan.so)" \
ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:malloc_context_size=8:log_path=$reports/asan" \
UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan" \
TD_TEST_ADDON="$addon" \
TD_ASAN=1 \
TASKDAEMON_PASS_ENV="TD_TEST_ADDON,LD_PRELOAD,ASAN_OPTIONS,UBSAN_OPTIONS" \
  npx vitest run --testTimeout=120000 --hookTimeout=120000 "$@" 2>&1 | tee "$reports/.vitest-output" || status=$?

if compgen -G "$reports/*" >/dev/null; then
  echo "test:asan: sanitizer reports:" >&2
  for f in "$reports"/*; do echo "== $f" >&2; cat "$f" >&2; done
  exit 1
fi
if grep -qE 'runtime error:|ERROR: AddressSanitizer' "$reports/.vitest-output"; then
  echo "test:asan: a sanitizer report is in the output above" >&2
  exit 1
fi
echo "test:asan: no sanitizer report (vitest exit $status)"
exit "$status"
