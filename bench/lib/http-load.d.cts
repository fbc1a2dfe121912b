// Types of http-load.cjs, for the tests written in TypeScript.
export interface LoadResult {
  requests: number;
  failed: number;
  /** Failures by reason: an errno code ("ECONNRESET"), "timeout" or "HTTP 5xx". */
  reasons: { [reason: string]: number };
  /** The pids that answered (an app that answers with its pid). */
  pids: Set<number>;
}

export interface Load {
  /** Requests answered so far. */
  readonly requests: number;
  stop(): Promise<LoadResult>;
}

/** Starts the load on 127.0.0.1:`port`; `timeoutMs` is how long one request may take before it counts as failed. */
export function startLoad(port: number, keepAliveClients?: number, timeoutMs?: number): Load;
