// LSB exit codes (DESIGN.md §5), so init scripts and systemd read them right.
// See: LSB Core, "Init Script Actions".
export const EXIT = {
  OK: 0,
  FAILURE: 1,
  INVALID_ARGS: 2,
  UNIMPLEMENTED: 3,
  NO_PRIVILEGE: 4,
  NOT_INSTALLED: 5,
  NOT_CONFIGURED: 6,
  NOT_RUNNING: 7,
} as const;

// `status` has its own table.
export const STATUS_EXIT = {
  RUNNING: 0,
  DEAD_WITH_PIDFILE: 1,
  NOT_RUNNING: 3,
  UNKNOWN: 4,
} as const;
