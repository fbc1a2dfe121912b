# A test-owned sd_notify endpoint: binds a unix datagram socket (a path, or
# "@name" for the abstract namespace) and prints each datagram as one JSON
# line with its arrival time, so tests see exactly what systemd would.
import json, os, socket, sys, time

addr = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
print(json.dumps({"bound": addr}), flush=True)
while True:
    data = s.recv(65536).decode()
    print(json.dumps({"t": time.monotonic(), "msg": data}), flush=True)
