// taskdaemon(1), as scripts/man.js generated it (in the test setup, as in
// `npm run compile`): it renders with man(1) without a warning, and every
// command, argument and option of the CLI is on it under its command.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createProgram } from '../../src/cli/program';
import { ROOT } from '../helpers/cli';

const page = path.join(ROOT, 'man', 'taskdaemon.1');
// ASCII rendering, wide enough that no flag is wrapped, never a pager.
const env = { ...process.env, LC_ALL: 'C', MANWIDTH: '200', MANPAGER: 'cat', PAGER: 'cat' };

describe('the man page', () => {
  it('renders with man and groff, without a warning', () => {
    const groff = spawnSync('groff', ['-man', '-Tascii', '-ww', '-z', page], { encoding: 'utf8' });
    expect(groff.error).toBeUndefined();
    expect(groff.stderr).toBe('');
    expect(groff.status).toBe(0);
    const man = spawnSync('man', [page], { encoding: 'utf8', env });
    expect(man.stderr).toBe('');
    expect(man.status).toBe(0);
    expect(man.stdout).toMatch(/^TASKDAEMON\(1\)/);
  });

  it('has every command with its arguments and options, taken from the CLI itself', () => {
    const text = spawnSync('man', [page], { encoding: 'utf8', env }).stdout;
    const program = createProgram(() => null, '0.0.0');
    const help = program.createHelp();
    const commands = help.visibleCommands(program).filter((c) => c.name() !== 'help');
    expect(commands.length).toBeGreaterThan(5);
    const heads = commands.map((c) => text.indexOf(`\n   taskdaemon ${c.name()} `));
    expect(heads.every((h) => h > 0)).toBe(true);
    commands.forEach((cmd, i) => {
      const section = text.slice(heads[i], heads[i + 1] ?? text.indexOf('\nENVIRONMENT'));
      for (const a of help.visibleArguments(cmd)) expect(section, `${cmd.name()} <${a.name()}>`).toContain(a.name());
      for (const o of help.visibleOptions(cmd)) {
        expect(section, `${cmd.name()} ${o.flags}`).toContain(o.flags.replace(/[<>]/g, ''));
        expect(section, `${cmd.name()} ${o.flags}`).toContain(help.optionDescription(o).split(' ').slice(0, 4).join(' '));
      }
    });
    for (const o of help.visibleOptions(program)) expect(text).toContain(o.flags);
    expect(text).toContain('TASKDAEMON_PIDFILE');
  });
});
