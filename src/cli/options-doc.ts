// The README's option table, from the option table (src/option-table.ts):
// `npm run docs` writes it between the markers, and a test fails when the
// README and the table disagree.
import { OPTIONS } from '../option-table';

export const BEGIN = '<!-- options:begin (npm run docs writes this table from src/option-table.ts) -->';
export const END = '<!-- options:end -->';

const cell = (s: string): string => s.replace(/\|/g, '\\|');

export function optionsMarkdown(): string {
  const rows = ['| option | commands | meaning | config key | default |', '|---|---|---|---|---|'];
  for (const o of OPTIONS) {
    if (!o.flag) continue;
    const flag = o.flag.replace(/ <[^>]+>/, (m) => m.toUpperCase().replace(/[<>]/g, ''));
    const key = o.toml ? `\`${o.toml.includes('.') ? `[${o.toml.split('.')[0]}] ${o.toml.split('.')[1]}` : o.toml}\`` : '';
    rows.push(`| \`${cell(flag)}\` | ${o.commands.join(', ')} | ${cell(o.help)} | ${key} | ${o.default ? cell(o.default) : ''} |`);
  }
  rows.push('| `--debug` | all | print stack traces of errors | | |');
  return `${BEGIN}\n${rows.join('\n')}\n${END}`;
}

/** README text with its option table replaced by the generated one. */
export function withOptionsTable(readme: string): string {
  const a = readme.indexOf('<!-- options:begin');
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error('README has no options:begin/options:end markers');
  return readme.slice(0, a) + optionsMarkdown() + readme.slice(b + END.length);
}
