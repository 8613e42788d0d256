"""What the benchmark scripts share (stdlib only: they run in different virtualenvs).

Imported by benches/compare/{bench,count_proxy,run_prowler}.py and benches/lambda/bench.py,
each of which puts this directory on sys.path first.
"""

import socket
import sys
import time


def logger(prefix):
    """A log function writing `[prefix HH:MM:SS] msg` lines to stderr."""
    def log(msg):
        print(f"[{prefix} {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)
    return log


def free_port():
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_body(handler):
    """The request body of a BaseHTTPRequestHandler (chunked or Content-Length); b"" if none."""
    if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
        chunks = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def parse_time_v(path):
    """Peak RSS, CPU times and exit status from a `/usr/bin/time -v -o path` report: the keys
    max_rss_kb, user_s, sys_s and exit_status, those that were found; {} when there is no file."""
    out = {}
    try:
        with open(path) as fh:
            for line in fh:
                k, _, v = line.strip().rpartition(": ")
                if k == "Maximum resident set size (kbytes)":
                    out["max_rss_kb"] = int(v)
                elif k == "User time (seconds)":
                    out["user_s"] = float(v)
                elif k == "System time (seconds)":
                    out["sys_s"] = float(v)
                elif k == "Exit status":
                    out["exit_status"] = int(v)
    except OSError:
        pass
    return out
