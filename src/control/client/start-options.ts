// The options a running daemon was started with, as it tells them over its
// control socket (`startOptions`): what `restart NAME`, `restart --graceful`
// and `reopen-logs` use when the command line does not say. null when it does
// not answer (not running, no control socket, an older daemon).
import type { ResolvedOptions } from '../../options';
import { controlSocketPath, rpcCall } from './rpc-client';

export function startOptionsOf(pidfile: string): Promise<ResolvedOptions | null> {
  return rpcCall<ResolvedOptions | null>(controlSocketPath(pidfile), 'startOptions', {}, 5_000).catch(() => null);
}
