// The `ctx` every hook receives (define.ts, DaemonContext): fixed facts, and
// live views of what the lifecycle owns (config, state, phase, reloads).
import type { DaemonContext, DaemonState, ReloadResult } from './define';
import type { ListenFd } from './listen-fds';
import type { Logger } from './logger';
import type { State } from './state-store';

export interface ContextFacts {
  name: string;
  mode: 'daemon' | 'foreground';
  args: string[];
  signal: AbortSignal;
  log: Logger;
  listenFds: ListenFd[];
}

export interface ContextViews {
  track<T>(work: Promise<T>): Promise<T>;
  saveState(): void;
  config(): unknown;
  state(): State;
  setState(v: State): void;
  deadline(): number | null;
  phase(): DaemonState;
  generation(): number;
  lastReload(): ReloadResult | null;
}

export function createContext(f: ContextFacts, v: ContextViews): DaemonContext {
  return {
    name: f.name,
    pid: process.pid,
    mode: f.mode,
    args: f.args,
    signal: f.signal,
    log: f.log,
    listenFds: f.listenFds,
    track: (work) => v.track(work),
    saveState: () => v.saveState(),
    get config() {
      return v.config();
    },
    get state() {
      return v.state();
    },
    set state(s: State) {
      v.setState(s);
    },
    get deadline() {
      return v.deadline();
    },
    get phase() {
      return v.phase();
    },
    get generation() {
      return v.generation();
    },
    get lastReload() {
      return v.lastReload();
    },
  };
}
