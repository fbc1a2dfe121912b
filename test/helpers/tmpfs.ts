// Small file systems of the tests' own: a tmpfs of a given size (to fill
// up), or a read-only one, mounted on a directory and always unmounted.
// See: man 8 mount, man 5 tmpfs
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

export interface Mount {
  dir: string;
  remount(options: string): void;
  unmount(): void;
}

export function tmpfs(dir: string, options: string): Mount {
  fs.mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  let mounted = true;
  return {
    dir,
    remount(o) {
      execFileSync('mount', ['-o', `remount,${o}`, dir]);
    },
    unmount() {
      if (!mounted) return;
      // Lazy: a test that failed may still have a file open in it.
      execFileSync('umount', ['-l', dir]);
      mounted = false;
    },
  };
}
