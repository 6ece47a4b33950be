#!/usr/bin/env python3
"""Small helpers for demo/demo.sh, so that it needs no curl.

  helper.py ports N                 print N free TCP ports on 127.0.0.1
  helper.py get URL [HOST] [TIMEOUT]
                                    GET URL (plain HTTP) with an optional Host
                                    header; print the status code, then the
                                    headers and body; status 000 when there
                                    was no answer
  helper.py status URL [HOST] [TIMEOUT]
                                    the same, printing only the status code
  helper.py serve DIR PORT          serve DIR on 127.0.0.1:PORT, quietly
"""
import http.client
import http.server
import functools
import socket
import sys
import urllib.parse


def ports(n):
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    print(" ".join(str(s.getsockname()[1]) for s in socks))
    for s in socks:
        s.close()


def get(url, host=None, timeout=3.0, status_only=False):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=timeout)
    path = u.path or "/"
    if u.query:
        path += "?" + u.query
    try:
        conn.request("GET", path, headers={"Host": host} if host else {})
        r = conn.getresponse()
        body = r.read()
    except (OSError, http.client.HTTPException):
        print("000")
        return
    print(r.status)
    if status_only:
        return
    for k, v in r.getheaders():
        print("%s: %s" % (k, v))
    print()
    sys.stdout.write(body.decode("utf-8", "replace"))


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(directory, port):
    handler = functools.partial(QuietHandler, directory=directory)
    http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), handler).serve_forever()


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "ports":
        ports(int(sys.argv[2]))
    elif cmd == "get":
        get(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None,
            float(sys.argv[4]) if len(sys.argv) > 4 else 3.0)
    elif cmd == "status":
        get(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None,
            float(sys.argv[4]) if len(sys.argv) > 4 else 3.0, status_only=True)
    elif cmd == "serve":
        try:
            serve(sys.argv[2], sys.argv[3])
        except KeyboardInterrupt:
            pass
    else:
        sys.exit("unknown command " + cmd)
