// `--ready`: when `start` (and `run`) count a daemon ready.
//   runtime        a Node entry's own: its init finished, or it called ready() (the default for Node)
//   exec           execve succeeded (the default for a program)
//   notify         the program sent READY=1 to $NOTIFY_SOCKET (sd_notify, man 3 sd_notify)
//   tcp:HOST:PORT  a connection to the address is accepted
//   unix:PATH      the same for a unix stream socket (unix:@NAME: abstract)
import { invalidOption, TaskdaemonError } from './errors';
import type { EntryKind } from './program-kind';

export type ReadySpec = { kind: 'runtime' } | { kind: 'exec' } | { kind: 'notify' } | { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };
export type AddressSpec = Extract<ReadySpec, { kind: 'tcp' | 'unix' }>;

function invalid(value: string, why: string, hint: string): TaskdaemonError {
  return invalidOption('ready', value, why, hint);
}

const FORMS = 'exec, notify, tcp:HOST:PORT or unix:PATH';

export function parseReady(value: string | undefined, kind: EntryKind): ReadySpec {
  if (value === undefined) return kind === 'program' ? { kind: 'exec' } : { kind: 'runtime' };
  let spec: ReadySpec | null = null;
  if (value === 'exec' || value === 'notify') spec = { kind: value };
  const tcp = /^tcp:(\[([0-9A-Fa-f:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(value);
  if (tcp) {
    const port = Number(tcp[4]);
    if (port < 1 || port > 65535) throw invalid(value, 'the port must be 1-65535', 'for example --ready tcp:127.0.0.1:8080');
    spec = { kind: 'tcp', host: tcp[2] ?? tcp[3]!, port };
  }
  if (value.startsWith('unix:')) {
    const p = value.slice(5);
    if (!p.startsWith('/') && !p.startsWith('@')) throw invalid(value, 'the path must be absolute (or @NAME for an abstract socket)', 'for example --ready unix:/run/app/app.sock');
    spec = { kind: 'unix', path: p };
  }
  if (!spec) throw invalid(value, `expected ${FORMS}`, 'for example --ready notify, or --ready tcp:127.0.0.1:8080');
  if (kind === 'node' && (spec.kind === 'exec' || spec.kind === 'notify')) {
    throw invalid(value, `'${spec.kind}' is for programs that are not Node`, 'a Node entry is ready when its init has finished (or when it calls ready()); it can also wait for an address: --ready tcp:HOST:PORT or unix:PATH');
  }
  return spec;
}

/** The --ready value that gives `spec` back, or null for the runtime's own (no flag). */
export function formatReady(spec: ReadySpec): string | null {
  switch (spec.kind) {
    case 'runtime':
      return null;
    case 'tcp':
      return `tcp:${spec.host.includes(':') ? `[${spec.host}]` : spec.host}:${spec.port}`;
    case 'unix':
      return `unix:${spec.path}`;
    default:
      return spec.kind;
  }
}

/** Whether `spec` is what the entry gets without --ready. */
export function isDefaultReady(spec: ReadySpec, kind: EntryKind): boolean {
  return spec.kind === (kind === 'program' ? 'exec' : 'runtime');
}

/** The address in words, for messages: "127.0.0.1:8080", "/run/app.sock". */
export function describeAddress(a: AddressSpec): string {
  return a.kind === 'tcp' ? `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}` : a.path;
}
