// `--listen SPEC`: the sockets a supervisor holds for its instances, written
// as tcp:HOST:PORT, tcp6:[ADDR]:PORT or unix:/PATH, each optionally NAME=SPEC
// (its name in LISTEN_FDNAMES, as systemd's FileDescriptorName=). Parsed here,
// when the options are resolved, so a typo fails before anything is bound.
// See: man 3 sd_listen_fds_with_names, man 5 systemd.socket (ListenStream=)
import * as path from 'node:path';
import { invalidOption, TaskdaemonError } from '../errors';

export interface ListenSpec {
  /** Its name in LISTEN_FDNAMES. */
  name: string;
  kind: 'tcp' | 'tcp6' | 'unix';
  /** tcp/tcp6: the address or host name as written ('' for any address). */
  host: string;
  port: number;
  /** unix: the absolute path of the socket. */
  path: string;
  /** The spec as written, for messages and `config show`. */
  text: string;
}

// systemd refuses ':' (the LISTEN_FDNAMES separator) and control characters; we keep to a plain set.
const NAME = /^[A-Za-z0-9_.@-]{1,255}$/;

function invalid(text: string, why: string): TaskdaemonError {
  return invalidOption('listen', text, why, 'for example --listen tcp:127.0.0.1:8080, --listen tcp6:[::1]:8080, --listen unix:/run/app/app.sock, --listen web=tcp:0.0.0.0:80');
}

function port(text: string, raw: string): number {
  if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65535) throw invalid(text, `'${raw}' is not a port (0-65535)`);
  return Number(raw);
}

/** One --listen value; `defaultName` names a socket given without NAME= (systemd names it after its unit). */
export function parseListen(text: string, defaultName: string): ListenSpec {
  const named = /^([^=:]+)=(.*)$/.exec(text);
  const name = named ? named[1]! : defaultName;
  const spec = named ? named[2]! : text;
  if (!NAME.test(name)) throw invalid(text, `'${name}' is not a socket name (1-255 letters, digits or . _ @ -)`);
  const colon = spec.indexOf(':');
  const kind = colon > 0 ? spec.slice(0, colon) : '';
  const rest = spec.slice(colon + 1);
  if (kind === 'unix') {
    if (!path.isAbsolute(rest)) throw invalid(text, 'unix: needs an absolute path');
    return { name, kind, host: '', port: 0, path: path.normalize(rest), text };
  }
  if (kind === 'tcp') {
    const m = /^([^:[\]]*):([^:]*)$/.exec(rest);
    // node:net's isIP would cost every start its load: an IPv6 address is what has colons.
    if (!m) throw invalid(text, rest.split(':').length > 2 ? 'an IPv6 address takes tcp6:[ADDR]:PORT' : 'expected tcp:HOST:PORT');
    const host = m[1] === '*' ? '' : m[1]!;
    return { name, kind, host, port: port(text, m[2]!), path: '', text };
  }
  if (kind === 'tcp6') {
    const m = /^\[([^\]]*)\]:([^:]*)$/.exec(rest);
    if (!m) throw invalid(text, 'expected tcp6:[ADDR]:PORT');
    const host = m[1]!;
    if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) throw invalid(text, 'an IPv4 address takes tcp:HOST:PORT');
    return { name, kind, host, port: port(text, m[2]!), path: '', text };
  }
  throw invalid(text, 'expected tcp:HOST:PORT, tcp6:[ADDR]:PORT or unix:/PATH');
}

/** The same socket twice can never be bound; say so before trying. */
export function parseListens(texts: string[], defaultName: string): ListenSpec[] {
  const specs = texts.map((t) => parseListen(t, defaultName));
  const seen = new Set<string>();
  for (const s of specs) {
    const where = s.kind === 'unix' ? s.path : `${s.kind}:${s.host}:${s.port}`;
    if (seen.has(where) && !(s.kind !== 'unix' && s.port === 0)) throw invalid(s.text, 'this socket is listed twice');
    seen.add(where);
  }
  return specs;
}
