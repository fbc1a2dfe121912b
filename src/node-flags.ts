// Node's own options for this process, as one string: its command line's
// (process.execArgv) and NODE_OPTIONS', which execArgv does not list.
// See: https://nodejs.org/api/cli.html#node_optionsoptions
export function nodeFlags(): string {
  return `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
}
