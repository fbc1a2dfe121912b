// A client for a newline-delimited socket (the control socket) that hands
// over the lines it receives one at a time, with a deadline for each.
import * as net from 'node:net';

export class LineClient {
  private readonly sock: net.Socket;
  private buf = '';
  private readonly lines: string[] = [];
  private wake: (() => void) | null = null;
  closed = false;

  private constructor(sock: net.Socket) {
    this.sock = sock;
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      this.buf += chunk;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) !== -1) {
        this.lines.push(this.buf.slice(0, nl));
        this.buf = this.buf.slice(nl + 1);
      }
      this.wake?.();
    });
    const end = (): void => {
      this.closed = true;
      this.wake?.();
    };
    sock.on('close', end);
    sock.on('error', end);
  }

  static connect(path: string): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const sock = net.createConnection(path);
      sock.once('connect', () => resolve(new LineClient(sock)));
      sock.once('error', reject);
    });
  }

  send(data: Buffer | string): void {
    if (!this.closed) this.sock.write(data);
  }

  /** The next line, or null when the socket closed or `timeoutMs` passed first. */
  next(timeoutMs: number): Promise<string | null> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = null;
        resolve(this.lines.length ? this.lines.shift()! : null);
      };
      const timer = setTimeout(done, timeoutMs);
      this.wake = () => {
        if (this.lines.length || this.closed) done();
      };
      this.wake();
    });
  }

  close(): void {
    this.sock.destroy();
  }
}
