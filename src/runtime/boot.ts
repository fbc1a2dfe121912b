// First JavaScript of the daemon: the fresh node that native code exec'd
// (DESIGN.md §3). argv: [node, boot.js, entry, ...args]. It takes over what
// `start` handed down (take-over.ts) and hands the program to the lifecycle.
import { exitAfterListeners } from '../exit-now';
import { offerOwnApi } from './own-api';
import { takeMarker } from './read-marker';
import { daemonLifecycle } from './take-over';

function main(): void {
  const m = takeMarker('boot', 'use `taskdaemon start` or `taskdaemon run`');
  offerOwnApi(m.options.entry);
  const life = daemonLifecycle(m, 'entry');
  // The program sees itself as if run directly: process.argv[1] is its own file.
  process.argv.splice(1, process.argv.length - 1, m.options.entry, ...m.options.args);
  void life.finished.then((code) => exitAfterListeners(code));
  void life.start();
}

main();
