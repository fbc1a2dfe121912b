// The one error for a machine taskdaemon cannot run on: not Linux, or no
// addon binary (no prebuild fits and no source build was made). Exit code 5,
// LSB's "program is not installed".
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TaskdaemonError } from './errors';
import { EXIT } from './exit-codes';

const CODE = 'ERR_UNSUPPORTED_PLATFORM';

// Set by scripts/install.js when the source build failed, so the error can say why.
const SOURCE_BUILD_LOG = path.join('build', 'source-build.log');

export function notLinux(): TaskdaemonError {
  return new TaskdaemonError(`unsupported platform ${process.platform}-${process.arch}: taskdaemon runs on Linux only`, {
    code: CODE,
    exitCode: EXIT.NOT_INSTALLED,
  });
}

export function noBinary(root: string, failures: string[]): TaskdaemonError {
  const log = path.join(root, SOURCE_BUILD_LOG);
  const built = fs.existsSync(log) ? `the source build at install failed (see ${log})` : 'none was built from source at install';
  const why = failures.length ? ` (${failures.join('; ')})` : '';
  return new TaskdaemonError(`unsupported platform linux-${process.arch}: no prebuilt addon fits this machine${why} and ${built}`, {
    code: CODE,
    exitCode: EXIT.NOT_INSTALLED,
    hint: 'install a C++ compiler, make and python3 (Debian: g++ make python3; Alpine: build-base python3), then run: npm rebuild taskdaemon',
  });
}
