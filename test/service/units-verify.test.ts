// Every shipped unit passes `systemd-analyze verify` with nothing printed,
// as a template instance (so %i is expanded) the way systemd would load it.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli';

const hasAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;
if (!hasAnalyze) console.warn('units-verify.test: skipped, systemd-analyze is not installed');

describe.skipIf(!hasAnalyze)('shipped unit files', () => {
  const units = fs.readdirSync(path.join(ROOT, 'systemd'));
  it('are the three documented ones', () => {
    expect(units.sort()).toEqual(['taskdaemon-notify@.service', 'taskdaemon-notify@.socket', 'taskdaemon@.service']);
  });

  for (const unit of units) {
    it(`${unit} verifies cleanly as an instance`, () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'td-verify-'));
      try {
        // A socket refers to its service: verify them side by side.
        for (const u of units) fs.copyFileSync(path.join(ROOT, 'systemd', u), path.join(dir, u.replace('@.', '@api.')));
        const r = spawnSync('systemd-analyze', ['verify', '--man=no', '--recursive-errors=no', path.join(dir, unit.replace('@.', '@api.'))], {
          encoding: 'utf8',
          env: { ...process.env, SYSTEMD_UNIT_PATH: `${dir}:` },
        });
        expect(r.stderr).toBe('');
        expect(r.stdout).toBe('');
        expect(r.status).toBe(0);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
