// A time as ISO 8601 in UTC, "2026-12-02T10:56:52.395Z", what Date's
// toISOString() gives for any year from 1000 to 9999. Not toISOString itself:
// its first call in a process sets up V8's date cache and time zone, about
// 1 ms of every daemon's start (its first log line) and of the first status
// or reload answer; the UTC getters need neither.
export function isoTime(ms: number = Date.now()): string {
  const d = new Date(ms);
  const two = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
  const milli = d.getUTCMilliseconds();
  return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}T${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}
