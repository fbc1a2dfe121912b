// systemd's EnvironmentFile= dialect, case by case (man 5 systemd.exec).
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parseEnvFile } = require(path.join(ROOT, 'dist', 'env-file.js')) as typeof import('../../src/env-file');

describe('parseEnvFile', () => {
  it('reads KEY=VALUE lines, skips comments, blank lines and lines without =', () => {
    expect(parseEnvFile('# a comment\n; another\n\nA=1\nnot an assignment\n  B = two  \n')).toEqual({ A: '1', B: 'two' });
  });

  it('keeps # and ; inside values, unlike dotenv', () => {
    expect(parseEnvFile('URL=http://x/#frag\nLIST=a;b\n')).toEqual({ URL: 'http://x/#frag', LIST: 'a;b' });
  });

  it('single quotes are literal, double quotes escape \\" \\\\ \\` \\$ only', () => {
    expect(parseEnvFile(`S='a "b" $c \\n'\nD="say \\"hi\\" \\$HOME \\\\ \\n"\n`)).toEqual({ S: 'a "b" $c \\n', D: 'say "hi" $HOME \\ \\n' });
  });

  it('a backslash at the end of a line continues it; quoted blanks stay', () => {
    expect(parseEnvFile('LONG=one \\\ntwo\nQ="  padded  "\n')).toEqual({ LONG: 'one two', Q: '  padded  ' });
  });

  it('the last assignment of a name wins; invalid names are dropped', () => {
    expect(parseEnvFile('A=1\nA=2\n1BAD=x\nBAD-NAME=y\n')).toEqual({ A: '2' });
  });

  it('CRLF files and a missing final newline work', () => {
    expect(parseEnvFile('A=1\r\nB=2')).toEqual({ A: '1', B: '2' });
  });
});
