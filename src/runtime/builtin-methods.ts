// The control socket's own methods (control-methods.ts answers them): a
// daemon's custom methods (defineDaemon({ methods })) may not take these names.
// A list of strings only, so defineDaemon() checks names without loading the
// control plane.
export const BUILTIN_METHODS = ['ping', 'version', 'status', 'health', 'startOptions', 'state', 'awaitReady', 'reload', 'awaitReload', 'shutdown'] as const;
export type BuiltinMethod = (typeof BUILTIN_METHODS)[number];

/** Why `name` cannot be a custom method's name, or null when it can. */
export function methodNameProblem(name: string): string | null {
  if ((BUILTIN_METHODS as readonly string[]).includes(name)) return `'${name}' is a built-in control method (${BUILTIN_METHODS.join(', ')})`;
  // JSON-RPC 2.0 reserves names that begin with "rpc." for itself.
  if (name.startsWith('rpc.')) return `'${name}': names beginning with 'rpc.' are reserved by JSON-RPC`;
  if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/.test(name)) return `'${name}' is not a method name (1-64 letters, digits, _ . -, starting with a letter or _)`;
  return null;
}

/** JSON-RPC error code of a custom method that threw (the server-error range JSON-RPC leaves to implementations). */
export const METHOD_FAILED = -32000;
