// taskdaemon call NAME METHOD [JSON]: one of the daemon's own control methods
// (defineDaemon({ methods })). Prints the JSON result and exits 0; the
// method's error message and exit 1; 7 when the daemon is not running.
import { callMethod } from '../../control/client/call';
import { EXIT } from '../../exit-codes';
import { TaskdaemonError } from '../../errors';
import { parseDuration } from '../../duration';
import { out } from '../output';
import { targetPidfile, type TargetOptions } from '../shared';

export interface CallFlags extends TargetOptions {
  timeout?: string;
}

const usage = (message: string): TaskdaemonError =>
  new TaskdaemonError(message, { exitCode: EXIT.INVALID_ARGS, code: 'ERR_INVALID_ARG_VALUE', hint: 'usage: taskdaemon call NAME METHOD [JSON], or with --name/--pidfile/--config: taskdaemon call METHOD [JSON]' });

// The params: a JSON object or array (JSON-RPC's rule), {} when none is given.
function parseParams(text: string | undefined): object {
  if (text === undefined) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw usage(`invalid JSON params '${text}': ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null) throw usage(`invalid JSON params '${text}': expected an object or an array, like '{"n": 1}' or '[1, 2]'`);
  return v;
}

// NAME METHOD [JSON]; NAME may be left out when --name, --pidfile or --config names the daemon.
// NAME METHOD [JSON], or METHOD [JSON] when the flags name the daemon; the target is looked up once.
function splitArgs(args: string[], f: CallFlags): { target: { name: string; pidfile: string }; method: string | undefined; params: string | undefined } {
  const named = f.name !== undefined || f.pidfile !== undefined || f.config !== undefined;
  if (args.length > 3) throw usage(`unexpected argument '${args[3]}' (the params are one JSON argument: quote it)`);
  if (!named || args.length === 3) return { target: targetPidfile(args[0], f), method: args[1], params: args[2] };
  const byFlags = targetPidfile(undefined, f);
  // Two arguments with the daemon named: "NAME METHOD" when the first is that name, else "METHOD JSON".
  if (args.length === 2 && args[0] === byFlags.name) return { target: byFlags, method: args[1], params: undefined };
  return { target: byFlags, method: args[0], params: args[1] };
}

export async function callCommand(args: string[], f: CallFlags): Promise<number> {
  if (args.length === 0) throw usage('which method? give the daemon and the method name');
  const { target, method, params } = splitArgs(args, f);
  if (!method) throw usage('which method? give the daemon and the method name');
  const body = parseParams(params);
  const { name, pidfile } = target;
  const timeoutMs = parseDuration(f.timeout ?? 60, '--timeout');
  const result = await callMethod(pidfile, name, method, body, timeoutMs);
  out(JSON.stringify(result ?? null));
  return EXIT.OK;
}
