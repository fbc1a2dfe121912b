// The option table is the one description of every option: what is derived
// from it (flags, schema, variables, README table) must agree with it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli';

/* eslint-disable @typescript-eslint/no-require-imports */
const table = require(path.join(ROOT, 'dist', 'option-table.js')) as typeof import('../../src/option-table');
const { buildSchema } = require(path.join(ROOT, 'dist', 'config', 'schema.js')) as typeof import('../../src/config/schema');
const { optionsMarkdown } = require(path.join(ROOT, 'dist', 'cli', 'options-doc.js')) as typeof import('../../src/cli/options-doc');
const { environmentVariables } = require(path.join(ROOT, 'dist', 'config', 'load.js')) as typeof import('../../src/config/load');
const { createProgram } = require(path.join(ROOT, 'dist', 'cli', 'program.js')) as typeof import('../../src/cli/program');
/* eslint-enable @typescript-eslint/no-require-imports */

describe('the option table', () => {
  it('schema/taskdaemon.schema.json is the schema the table builds (run `npm run compile` after a change)', () => {
    expect(JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'taskdaemon.schema.json'), 'utf8'))).toEqual(buildSchema());
  });

  it("the README's option table is the one the table builds (run `npm run docs` after a change)", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(optionsMarkdown());
  });

  it('every command has exactly the flags the table gives it', () => {
    const program = createProgram(() => {}, '0');
    for (const cmd of program.commands) {
      const flags = cmd.options.map((o) => o.flags).sort();
      const expected = table.optionsOf(cmd.name() as import('../../src/option-table').CommandName).map((o) => o.flag!).sort();
      expect(flags, cmd.name()).toEqual(expected);
    }
  });

  it('every config key has a TASKDAEMON_* variable but tables and args', () => {
    const vars = new Map(environmentVariables().map((v) => [v.key, v.name]));
    for (const o of table.tomlOptions()) {
      if (o.toml === 'env' || o.toml === 'args') expect(vars.has(o.toml)).toBe(false);
      else expect(vars.get(o.toml), o.toml).toBe(`TASKDAEMON_${o.toml.replace('.', '_').toUpperCase()}`);
    }
  });

  it('a config key is a flag too, and says what a wrong value should be', () => {
    for (const o of table.tomlOptions()) {
      expect(o.expected, o.toml).toBeTruthy();
      if (o.toml !== 'entry' && o.toml !== 'args') expect(o.flag, o.toml).toBeTruthy();
    }
  });
});
