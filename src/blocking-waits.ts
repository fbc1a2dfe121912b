// How this process waits for a daemon: in a thread of the addon's (the
// default: the event loop stays free, for the library, \`list\` asking every
// daemon at once, and \`start\`, which handles SIGINT while it waits), or on the
// main thread itself, for a CLI command that makes one call or one wait at a
// time and has nothing else to do meanwhile (status, reload, health, call,
// stop): no thread to start and hand the result back from, about 1 ms of each
// such command (bench/RESULTS.md). Such a command installs no signal handler,
// so a SIGINT still ends it at once.
let blocking = false;

/** Called by the CLI (cli/main.ts) for a command of that kind, before it runs. */
export function waitOnMainThread(): void {
  blocking = true;
}

export function waitsOnMainThread(): boolean {
  return blocking;
}
