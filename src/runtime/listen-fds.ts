// Socket activation (sd_listen_fds(3)): fds from 3 on, passed by systemd with
// LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES. The variables are removed so the
// program's children do not take the sockets for theirs.
import { systemError, TaskdaemonError } from '../errors';
import { native } from '../native';

export interface ListenFd {
  fd: number;
  name: string;
}

const SD_LISTEN_FDS_START = 3;

export function takeListenFds(env: NodeJS.ProcessEnv = process.env): ListenFd[] {
  const count = Number(env.LISTEN_FDS);
  const pid = Number(env.LISTEN_PID);
  const names = (env.LISTEN_FDNAMES ?? '').split(':');
  delete env.LISTEN_FDS;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDNAMES;
  if (!Number.isInteger(count) || count <= 0 || pid !== process.pid) return [];
  const out: ListenFd[] = [];
  for (let i = 0; i < count; i++) {
    const fd = SD_LISTEN_FDS_START + i;
    // EBADF: LISTEN_FDS promised an fd that is not open. Handing the program
    // a number that is not its socket (or is another file) would be worse.
    const rc = native().setCloexec(fd, true);
    if (rc < 0) {
      throw new TaskdaemonError(`socket activation: LISTEN_FDS=${count} names fd ${fd}, which cannot be used: ${systemError(rc, 'fcntl').message}`, {
        code: 'ERR_LISTEN_FDS',
      });
    }
    out.push({ fd, name: names[i] || 'unknown' });
  }
  return out;
}
