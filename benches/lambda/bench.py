#!/usr/bin/env python3
"""Lambda mode benchmark: cold-start init time, cold and warm invocation time and peak memory of
`vigil` serving the Lambda Runtime API, against baselines measured in the same run.

Run by benches/lambda/run.sh (which builds the release binary); by hand:

  .venv/bin/python benches/lambda/bench.py --vigil target/release/vigil --out DIR [--reps 5]

Set-up (once): a moto server on a free 127.0.0.1 port, the scenario seeded with
tests/support/seed.py, the SNS topic / SQS queue / DynamoDB state table created with
tests/support/notify_setup.py. Then one warm-up round (not counted: it fills the state table, so
every counted invocation is a steady-state run with the same work, and it warms the page cache),
then --reps rounds, each:

  1. baselines: `vigil --version` (process start to exit), `vigil rules list` (process start
     plus loading the built-in policies exactly as the Lambda init does, `Backend::Auto`; no
     AWS), several times each, and the CLI `vigil scan` of the same organization, regions and
     notification settings (wall time, peak RSS);
  2. the Lambda mode: a fresh Runtime API emulator (`cargo lambda watch --only-lambda-apis`) and
     a fresh timing proxy in front of it; the release binary is started as the function with
     AWS_LAMBDA_RUNTIME_API pointing at the proxy, and invoked twice with a scheduled event
     (`cargo lambda invoke`), then killed.

What is measured, all on one monotonic clock (the proxy runs in this process):
  - init: from spawning the function until its first `GET .../runtime/invocation/next` reaches
    the proxy (what the Lambda service counts as the init phase: the runtime is ready for an
    event);
  - invocation (function side): from the proxy handing the event to the function (the /next
    response) until the function's `POST .../invocation/<id>/response` reaches the proxy; the
    client's wall time around `cargo lambda invoke` is recorded too;
  - CPU: the function's CPU time (/proc/<pid>/task/*/schedstat) after init and after every
    invocation, independent of how busy the machine is (wall times are not: on the shared
    2-core machine a CPU-bound 40 ms init often waits for a core); the baselines' CPU time from
    wait4;
  - memory: VmRSS and VmHWM of the function from /proc after init and after every invocation
    (the function is idle in /next each time); its peak is the largest of those and of
    ru_maxrss at exit (the kernel's high water mark; only when above this process's RSS, see
    below). The CLI's peak RSS is /usr/bin/time -v's (ru_maxrss). Not ru_maxrss of a
    child spawned from here: Python spawns with vfork, and Linux carries the parent's RSS high
    water mark into the exec'd child's ru_maxrss (this process's ~25 MB would show up as
    `vigil --version`'s peak).

Artifact mode (--artifact LABEL=PATH, twice or more; run.sh's ARTIFACTS): compares deployment
artifacts of the same code, e.g. the bootstrap with and without debug info. Per artifact: its
size, its zip's size (PATH.zip when it exists, as `cargo lambda build --output-format zip` makes
it, else one made here with zipfile's deflate) and the time to unpack that zip (what Lambda does
with a package before the first init; it is not what a local run can measure otherwise); then
each round starts every artifact once as the function (a cold start as above: init, one cold
and --invocations - 1 warm invocations), in an order rotated per round, with no CLI baseline.
Ratios are per round against the first artifact, then median (min–max).

The emulator and the proxy are restarted for every round: a killed function leaves a /next
long-poll open upstream, which would swallow the next round's event. Everything binds and talks
to 127.0.0.1 only. Python standard library only (boto3 is used by the seed helpers, through the
venv's python).
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchlib import free_port, logger, parse_time_v, read_body  # noqa: E402  (benches/benchlib.py)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

SCHEDULED = {
    "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event", "source": "aws.events",
    "account": "123456789012", "time": "2026-11-28T10:00:00Z", "region": "us-east-1",
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/vigil-schedule"],
    "detail": {},
}
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "trailers", "transfer-encoding", "upgrade", "content-length", "host",
}
PROCS = []  # every process started here, killed on exit


log = logger("bench.py")


def wait_port(port, proc, what, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited ({proc.returncode}) before listening on {port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"{what} did not listen on {port} within {timeout} s")


def spawn(cmd, logpath, **kw):
    fh = open(logpath, "ab")
    p = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **kw)
    fh.close()
    PROCS.append(p)
    return p


def stop(p, sig=signal.SIGTERM):
    """Stops a process started here (by its pid only) and reaps it; returns wait4's rusage."""
    if p.returncode is not None:
        return None
    deadline = time.monotonic() + 5
    try:
        os.kill(p.pid, sig)
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG if time.monotonic() < deadline else 0)
            if pid:
                p.returncode = os.waitstatus_to_exitcode(status)
                return ru
            if time.monotonic() >= deadline - 0.05:
                os.kill(p.pid, signal.SIGKILL)
                deadline = 0
            time.sleep(0.02)
    except (ProcessLookupError, ChildProcessError):
        p.returncode = p.returncode if p.returncode is not None else -1
        return None


def cleanup(*_):
    for p in reversed(PROCS):
        if p.returncode is None:
            stop(p, signal.SIGKILL)


def loadavg():
    return [round(x, 2) for x in os.getloadavg()]


def cpu_ms(pid):
    """CPU time of a live process so far (its live threads' sum_exec_runtime, ns precision)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as fh:
                total += int(fh.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / 1e6


def proc_status(pid):
    out = {"cpu_ms": cpu_ms(pid)}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "Threads"):
                out[k] = int(v.split()[0])
    return out


# --- the timing proxy in front of the Runtime API emulator ---------------------------------

class Proxy(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A function killed while in its /next long poll (every round ends so) breaks the pipe.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)

    def __init__(self, upstream_port):
        super().__init__(("127.0.0.1", 0), ProxyHandler)
        self.upstream_port = upstream_port
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.events = []  # {"kind", "id", "t_in", "t_out", "status"}

    def record(self, ev):
        with self.cond:
            self.events.append(ev)
            self.cond.notify_all()

    def wait_for(self, pred, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not pred(self.events):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
            return True

    def count(self, kind):
        return lambda evs: sum(1 for e in evs if e["kind"] == kind)


class ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_):
        pass

    def _forward(self):
        t_in = time.monotonic()
        body = read_body(self) or None
        path = urllib.parse.urlsplit(self.path).path
        parts = path.rstrip("/").split("/")
        if path.endswith("/runtime/invocation/next"):
            kind, rid = "next", None
        elif "/runtime/invocation/" in path and parts[-1] in ("response", "error"):
            kind, rid = parts[-1], parts[-2]
        elif path.endswith("/runtime/init/error"):
            kind, rid = "init_error", None
        else:
            kind, rid = "other", None
        if kind == "next":
            # The long poll's arrival: the function is ready for an event.
            self.server.record({"kind": "next_in", "id": None, "t_in": t_in})
        conn = http.client.HTTPConnection("127.0.0.1", self.server.upstream_port, timeout=None)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        try:
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except OSError as e:
            self.server.record({"kind": kind, "id": rid, "t_in": t_in, "t_out": time.monotonic(),
                                "status": None, "error": str(e)})
            try:
                self.send_error(502)
            except OSError:
                pass
            return
        finally:
            conn.close()
        if kind == "next":
            rid = resp.getheader("Lambda-Runtime-Aws-Request-Id")
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in HOP_BY_HOP and k.lower() not in ("date", "server"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()
        self.server.record({"kind": kind, "id": rid, "t_in": t_in, "t_out": time.monotonic(),
                            "status": resp.status})

    do_GET = do_POST = _forward


# --- the pieces of one run ---------------------------------------------------------------------

def base_env(home):
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def run_measured(cmd, env, cwd, logpath, timev=None):
    """Runs cmd to completion: wall time (spawn to reaped), CPU time; with timev (a file) under
    /usr/bin/time -v, whose peak RSS is reported (see the docstring: not wait4's, here)."""
    if timev:
        cmd = ["/usr/bin/time", "-v", "-o", timev, *cmd]
    with open(logpath, "ab") as fh:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL)
        PROCS.append(p)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    out = {"wall_s": wall, "rc": p.returncode, "user_s": ru.ru_utime, "sys_s": ru.ru_stime}
    if timev:
        measured = parse_time_v(timev)
        if "max_rss_kb" in measured:
            out["max_rss_kb"] = measured["max_rss_kb"]
        if "exit_status" in measured:
            out["rc"] = measured["exit_status"]
    return out


def start_baselines(a, work, n):
    """`vigil --version` and `vigil rules list`, n times each, interleaved."""
    out = {"version": [], "rules_list": []}
    for _ in range(n):
        for key, args in (("version", ["--version"]), ("rules_list", ["rules", "list"])):
            r = run_measured([a.vigil, *args], base_env(work), work, os.path.join(work, f"{key}.log"))
            if r["rc"] != 0:
                raise SystemExit(f"vigil {' '.join(args)} exited {r['rc']}")
            out[key].append(r)
    return out


def cli_scan(a, ctx, work, tag):
    report = os.path.join(work, f"cli-{tag}.json")
    cmd = [a.vigil, "scan", "--endpoint-url", ctx["moto"], "--regions", a.regions,
           "--format", "json", "--output", report, "--quiet", *ctx["cli_notify"]]
    r = run_measured(cmd, base_env(work), work, os.path.join(work, f"cli-{tag}.log"),
                     timev=os.path.join(work, f"cli-{tag}.time"))
    if r["rc"] not in (0, 1):
        raise SystemExit(f"vigil scan ({tag}) exited {r['rc']}: see {work}/cli-{tag}.log")
    with open(report) as fh:
        scan = json.load(fh).get("scan", {})
    r["resources"] = scan.get("resources")
    r["api_calls"] = scan.get("api_calls")
    r["accounts"] = len(scan["accounts"]) if isinstance(scan.get("accounts"), list) else scan.get("accounts")
    return r


def invoke(a, port, work, tag, payload=None):
    """`cargo lambda invoke` with `payload` (default: a scheduled event); (wall s, response)."""
    event = os.path.join(work, "event.json")
    with open(event, "w") as fh:
        json.dump(SCHEDULED if payload is None else payload, fh)
    t0 = time.monotonic()
    out = subprocess.run([a.cargo_lambda, "lambda", "invoke", "_", "--invoke-address", "127.0.0.1",
                          "--invoke-port", str(port), "--data-file", event, "--output-format", "json"],
                         cwd=ROOT, capture_output=True, timeout=900)
    wall = time.monotonic() - t0
    with open(os.path.join(work, f"invoke-{tag}.txt"), "wb") as fh:
        fh.write(out.stdout + b"\n--- stderr\n" + out.stderr)
    if out.returncode != 0:
        raise SystemExit(f"cargo lambda invoke ({tag}) failed: see {work}/invoke-{tag}.txt")
    resp = json.loads(out.stdout)
    return wall, resp


def lambda_round(a, ctx, work, tag, vigil=None):
    """One cold start: fresh emulator + proxy, the function started (`vigil`, default --vigil),
    invoked --invocations times, killed."""
    emu_port = free_port()
    emu = spawn([a.cargo_lambda, "lambda", "watch", "--only-lambda-apis",
                 "--invoke-address", "127.0.0.1", "--invoke-port", str(emu_port)],
                os.path.join(work, f"emulator-{tag}.log"), cwd=ROOT)  # it runs `cargo metadata`
    wait_port(emu_port, emu, "cargo lambda watch")
    proxy = Proxy(emu_port)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    pport = proxy.server_address[1]
    env = {**base_env(work),
           "AWS_LAMBDA_RUNTIME_API": f"http://127.0.0.1:{pport}/.rt",
           "AWS_LAMBDA_FUNCTION_NAME": "_",
           "AWS_LAMBDA_FUNCTION_VERSION": "1",
           "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
           "AWS_ENDPOINT_URL": ctx["moto"],
           "VIGIL_REGIONS": a.regions,
           "VIGIL_SNS_TOPIC_ARN": ctx["topic"],
           "VIGIL_STATE_TABLE": ctx["table"]}
    res = {"tag": tag, "load_before": loadavg()}
    fn = None
    try:
        fh = open(os.path.join(work, f"function-{tag}.log"), "ab")
        res["parent_rss_kb"] = proc_status(os.getpid())["VmRSS"]
        t_spawn = time.monotonic()
        fn = subprocess.Popen([vigil or a.vigil], env=env, cwd=work, stdout=fh, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL)
        fh.close()
        PROCS.append(fn)
        if not proxy.wait_for(proxy.count("next_in"), 120):
            raise SystemExit(f"the function never asked for an event: see {work}/function-{tag}.log")
        with proxy.lock:
            first = next(e for e in proxy.events if e["kind"] == "next_in")
        res["init_ms"] = (first["t_in"] - t_spawn) * 1000
        res["mem_after_init"] = proc_status(fn.pid)
        for i in range(1, a.invocations + 1):
            wall, resp = invoke(a, emu_port, work, f"{tag}-{i}")
            # The function is ready again when it asks for the next event.
            if not proxy.wait_for(lambda evs: (proxy.count("next_in")(evs) > i
                                                and proxy.count("response")(evs) + proxy.count("error")(evs) >= i), 60):
                raise SystemExit(f"the function did not ask for another event after invocation {i}")
            with proxy.lock:
                evs = list(proxy.events)
            delivered = [e for e in evs if e["kind"] == "next" and e["id"]][i - 1]
            done = next(e for e in evs if e["kind"] in ("response", "error") and e["id"] == delivered["id"])
            if done["kind"] != "response" or resp.get("status") not in ("completed", "partial"):
                raise SystemExit(f"invocation {i} failed: {resp}")
            res[f"inv{i}"] = {
                "function_ms": (done["t_in"] - delivered["t_out"]) * 1000,
                "client_ms": wall * 1000,
                "status": resp.get("status"),
                "resources": resp.get("resources"),
                "api_calls": resp.get("api_calls"),
                "accounts": resp.get("accounts"),
                "notifications": (resp.get("notifications") or {}).get("summary"),
                "first_run": (resp.get("notifications") or {}).get("first_run"),
                "mem_after": proc_status(fn.pid),
            }
        last = res[f"inv{a.invocations}"]["mem_after"]
        res["threads_idle"] = last.get("Threads")
        samples = [res["mem_after_init"]] + [res[f"inv{i}"]["mem_after"] for i in range(1, a.invocations + 1)]
        res["peak_kb"] = max(max(m["VmHWM"], m["VmRSS"]) for m in samples)
    finally:
        if fn is not None:
            ru = stop(fn, signal.SIGKILL)
            if ru is not None:
                res["user_s"], res["sys_s"] = ru.ru_utime, ru.ru_stime
                # The kernel's high water mark at exit; it includes this (vfork) parent's RSS at
                # spawn, so it only counts when above it.
                res["exit_maxrss_kb"] = ru.ru_maxrss
                if "peak_kb" in res and ru.ru_maxrss > res["parent_rss_kb"]:
                    res["peak_kb"] = max(res["peak_kb"], ru.ru_maxrss)
        proxy.shutdown()
        proxy.server_close()
        stop(emu)
    return res


# --- set-up, rounds, summary ---------------------------------------------------------------------

def setup(a, work):
    port = free_port()
    moto = spawn([os.path.join(a.venv, "bin", "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                 os.path.join(work, "moto.log"))
    wait_port(port, moto, "moto_server")
    endpoint = f"http://127.0.0.1:{port}"
    py = os.path.join(a.venv, "bin", "python")
    env = base_env(work)
    if a.members:
        # A larger synthetic organization (the whole-organization benchmark's seeder).
        seeded = subprocess.run([py, os.path.join(ROOT, "benches/compare/seed_org.py"), "--endpoint", endpoint,
                                 "--members", str(a.members), "--regions", a.regions, "--mix", "full"],
                                env=env, capture_output=True, check=False)
    else:
        seeded = subprocess.run([py, os.path.join(ROOT, "tests/support/seed.py"), "--endpoint", endpoint,
                                 os.path.join(ROOT, a.scenario)], env=env, capture_output=True, check=False)
    if seeded.returncode != 0:
        raise SystemExit(f"seeding failed:\n{seeded.stderr.decode()}")
    notify = subprocess.run([py, os.path.join(ROOT, "tests/support/notify_setup.py"), "--endpoint", endpoint,
                             "setup"], env=env, capture_output=True, check=False)
    if notify.returncode != 0:
        raise SystemExit(f"notify_setup.py failed:\n{notify.stderr.decode()}")
    n = json.loads(notify.stdout)
    help_text = subprocess.run([a.vigil, "scan", "--help"], capture_output=True, env=env).stdout.decode()
    cli_notify = []
    if "--sns-topic-arn" in help_text and "--state-table" in help_text:
        cli_notify = ["--sns-topic-arn", n["topic_arn"], "--state-table", n["table"]]
    return {"moto": endpoint, "seeded": json.loads(seeded.stdout), "topic": n["topic_arn"],
            "queue": n["queue_url"], "table": n["table"], "cli_notify": cli_notify}


def stats(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)}


def fmt(s, unit, scale=1.0, nd=0):
    if s is None:
        return "n/a"
    f = f"{{:.{nd}f}}"
    return (f"{f.format(s['median'] * scale)} {unit} "
            f"({f.format(s['min'] * scale)}–{f.format(s['max'] * scale)})")


def summarize(a, ctx, warm, rounds, env_lines):
    L = [r["lambda"] for r in rounds]
    C = [r["cli"] for r in rounds]
    V = [v["wall_s"] * 1000 for r in rounds for v in r["start"]["version"]]
    R = [v["wall_s"] * 1000 for r in rounds for v in r["start"]["rules_list"]]
    med = lambda r, key: statistics.median(v["wall_s"] * 1000 for v in r["start"][key])  # noqa: E731
    s = {
        "init_ms": stats([x["init_ms"] for x in L]),
        "init_cpu_ms": stats([x["mem_after_init"]["cpu_ms"] for x in L]),
        "cold_cpu_ms": stats([x["inv1"]["mem_after"]["cpu_ms"] - x["mem_after_init"]["cpu_ms"] for x in L]),
        "warm_cpu_ms": stats([x["inv2"]["mem_after"]["cpu_ms"] - x["inv1"]["mem_after"]["cpu_ms"] for x in L]),
        "version_cpu_ms": stats([(v["user_s"] + v["sys_s"]) * 1000 for r in rounds for v in r["start"]["version"]]),
        "rules_list_cpu_ms": stats([(v["user_s"] + v["sys_s"]) * 1000 for r in rounds for v in r["start"]["rules_list"]]),
        "cli_cpu_ms": stats([(c["user_s"] + c["sys_s"]) * 1000 for c in C]),
        "version_ms": stats(V),
        "rules_list_ms": stats(R),
        "cold_ms": stats([x["inv1"]["function_ms"] for x in L]),
        "warm_ms": stats([x["inv2"]["function_ms"] for x in L]),
        "cold_client_ms": stats([x["inv1"]["client_ms"] for x in L]),
        "warm_client_ms": stats([x["inv2"]["client_ms"] for x in L]),
        "cli_ms": stats([c["wall_s"] * 1000 for c in C]),
        "cold_plus_init_ms": stats([x["init_ms"] + x["inv1"]["function_ms"] for x in L]),
        "rss_init_mb": stats([x["mem_after_init"]["VmRSS"] / 1024 for x in L]),
        "rss_after1_mb": stats([x["inv1"]["mem_after"]["VmRSS"] / 1024 for x in L]),
        "rss_after2_mb": stats([x["inv2"]["mem_after"]["VmRSS"] / 1024 for x in L]),
        "hwm_init_mb": stats([x["mem_after_init"]["VmHWM"] / 1024 for x in L]),
        "hwm_after1_mb": stats([x["inv1"]["mem_after"]["VmHWM"] / 1024 for x in L]),
        "lambda_peak_mb": stats([x["peak_kb"] / 1024 for x in L]),
        "growth_2_vs_1_mb": stats([(x["inv2"]["mem_after"]["VmRSS"] - x["inv1"]["mem_after"]["VmRSS"]) / 1024
                                   for x in L]),
        "cli_peak_mb": stats([c["max_rss_kb"] / 1024 for c in C]),
        "rss_last_mb": stats([x[f"inv{a.invocations}"]["mem_after"]["VmRSS"] / 1024 for x in L]),
        "growth_per_inv_mb": stats([(x[f"inv{a.invocations}"]["mem_after"]["VmRSS"]
                                     - x["inv2"]["mem_after"]["VmRSS"]) / 1024 / (a.invocations - 2)
                                    for x in L]) if a.invocations > 2 else None,
        "threads_idle": stats([x["threads_idle"] for x in L]),
        "lambda_cpu_s": stats([x["user_s"] + x["sys_s"] for x in L if "user_s" in x]),
        "cli_cpu_s": stats([c["user_s"] + c["sys_s"] for c in C]),
        # per-round ratios (same round, same load), then median/min/max
        "cold_vs_cli": stats([x["inv1"]["function_ms"] / (c["wall_s"] * 1000) for x, c in zip(L, C)]),
        "cold_plus_init_vs_cli": stats([(x["init_ms"] + x["inv1"]["function_ms"]) / (c["wall_s"] * 1000)
                                        for x, c in zip(L, C)]),
        "warm_vs_cold": stats([x["inv2"]["function_ms"] / x["inv1"]["function_ms"] for x in L]),
        "init_vs_version": stats([x["init_ms"] / med(r, "version") for x, r in zip(L, rounds)]),
        "init_vs_rules_list": stats([x["init_ms"] / med(r, "rules_list") for x, r in zip(L, rounds)]),
        "init_cpu_vs_rules_list": stats([x["mem_after_init"]["cpu_ms"] / statistics.median(
            (v["user_s"] + v["sys_s"]) * 1000 for v in r["start"]["rules_list"]) for x, r in zip(L, rounds)]),
        "cold_cpu_vs_cli": stats([(x["inv1"]["mem_after"]["cpu_ms"] - x["mem_after_init"]["cpu_ms"])
                                  / ((c["user_s"] + c["sys_s"]) * 1000) for x, c in zip(L, C)]),
        "peak_vs_cli": stats([x["peak_kb"] / c["max_rss_kb"] for x, c in zip(L, C)]),
        "peak_vs_512": stats([x["peak_kb"] / 1024 / 512 for x in L]),
    }
    w = warm["lambda"]
    inv = L[0]["inv1"]
    md = [
        f"# Lambda mode benchmark ({a.reps} rounds + 1 warm-up)", "",
        *[f"- {line}" for line in env_lines], "",
        f"Workload: {a.scenario}, regions {a.regions}: {inv['accounts']} accounts scanned, "
        f"{inv['resources']} resources, {inv['api_calls']} API calls per invocation; "
        f"notifications on (SNS topic + state table, steady state: `{inv['notifications']}`). "
        f"CLI baseline: `vigil scan --endpoint-url MOTO --regions {a.regions} --format json --output FILE --quiet"
        f"{' --sns-topic-arn TOPIC --state-table vigil-state' if ctx['cli_notify'] else ''}` "
        f"({C[0]['resources']} resources, {C[0]['api_calls']} API calls).", "",
        "Median (min–max) over rounds:", "",
        "| measure | value |", "|---|---|",
        f"| init: spawn → first /next (wall) | {fmt(s['init_ms'], 'ms', nd=1)} |",
        f"| baseline `vigil --version` (spawn → exit) | {fmt(s['version_ms'], 'ms', nd=1)} |",
        f"| baseline `vigil rules list` (spawn → exit; loads the policies like the init) | {fmt(s['rules_list_ms'], 'ms', nd=1)} |",
        f"| init CPU time (load-independent) | {fmt(s['init_cpu_ms'], 'ms', nd=1)} |",
        f"| CPU time of `vigil --version` / `vigil rules list` | {fmt(s['version_cpu_ms'], 'ms', nd=1)} / {fmt(s['rules_list_cpu_ms'], 'ms', nd=1)} |",
        f"| CPU time of the cold / warm invocation / the CLI scan | {fmt(s['cold_cpu_ms'], 'ms')} / {fmt(s['warm_cpu_ms'], 'ms')} / {fmt(s['cli_cpu_ms'], 'ms')} |",
        f"| cold invocation (event → response, function side) | {fmt(s['cold_ms'], 'ms')} |",
        f"| warm invocation (same) | {fmt(s['warm_ms'], 'ms')} |",
        f"| cold / warm, client side (`cargo lambda invoke` wall) | {fmt(s['cold_client_ms'], 'ms')} / {fmt(s['warm_client_ms'], 'ms')} |",
        f"| init + cold invocation | {fmt(s['cold_plus_init_ms'], 'ms')} |",
        f"| baseline CLI `vigil scan` wall | {fmt(s['cli_ms'], 'ms')} |",
        f"| RSS after init (idle) | {fmt(s['rss_init_mb'], 'MB', nd=1)} |",
        f"| RSS after invocation 1 / 2 (idle) | {fmt(s['rss_after1_mb'], 'MB', nd=1)} / {fmt(s['rss_after2_mb'], 'MB', nd=1)} |",
        f"| RSS growth, invocation 2 vs 1 | {fmt(s['growth_2_vs_1_mb'], 'MB', nd=2)} |",
        f"| peak RSS (VmHWM) after init / after invocation 1 | {fmt(s['hwm_init_mb'], 'MB', nd=1)} / {fmt(s['hwm_after1_mb'], 'MB', nd=1)} |",
        f"| **peak RSS of the function (VmHWM, init + {a.invocations} invocations)** | {fmt(s['lambda_peak_mb'], 'MB', nd=1)} |",
        f"| baseline CLI peak RSS (`/usr/bin/time -v`) | {fmt(s['cli_peak_mb'], 'MB', nd=1)} |",
        *([f"| RSS after invocation {a.invocations} (idle); growth per invocation from 2 to {a.invocations} | "
           f"{fmt(s['rss_last_mb'], 'MB', nd=1)}; {fmt(s['growth_per_inv_mb'], 'MB', nd=3)} |"]
          if a.invocations > 2 else []),
        f"| function threads (idle) | {fmt(s['threads_idle'], 'threads')} |",
        f"| CPU (user+sys): function (init + {a.invocations} invocations) / CLI | {fmt(s['lambda_cpu_s'], 's', nd=2)} / {fmt(s['cli_cpu_s'], 's', nd=2)} |",
        "", "Ratios (per round, then median (min–max)):", "",
        f"- cold invocation / CLI scan: {fmt(s['cold_vs_cli'], '×', nd=2)}",
        f"- (init + cold invocation) / CLI scan: {fmt(s['cold_plus_init_vs_cli'], '×', nd=2)}",
        f"- warm / cold invocation: {fmt(s['warm_vs_cold'], '×', nd=2)}",
        f"- init / `vigil --version`: {fmt(s['init_vs_version'], '×', nd=1)}",
        f"- init / `vigil rules list`: {fmt(s['init_vs_rules_list'], '×', nd=2)}",
        f"- init CPU / `vigil rules list` CPU: {fmt(s['init_cpu_vs_rules_list'], '×', nd=2)}",
        f"- cold invocation CPU / CLI scan CPU: {fmt(s['cold_cpu_vs_cli'], '×', nd=2)}",
        f"- function peak RSS / CLI peak RSS: {fmt(s['peak_vs_cli'], '×', nd=2)}",
        f"- function peak RSS / 512 MB (deploy/template.yaml MemorySize): {fmt(s['peak_vs_512'], '×', nd=3)}",
        "",
        f"Warm-up round (not counted; the function runs first, so its first invocation is the first "
        f"run ever, empty state table, first_run={w['inv1']['first_run']}: "
        f"`{w['inv1']['notifications']}`): init {w['init_ms']:.1f} ms, first-run invocation "
        f"{w['inv1']['function_ms']:.0f} ms, second {w['inv2']['function_ms']:.0f} ms, peak RSS "
        f"{w['peak_kb'] / 1024:.1f} MB; CLI {warm['cli']['wall_s'] * 1000:.0f} ms.",
        "", "Per round (load average 1/5/15 min before the round):", "",
        "| round | load | init ms (CPU ms) | --version ms | rules list ms | cold ms | warm ms | CLI ms | RSS init / after 1 / after 2 MB | peak MB | CLI peak MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for i, (r, x, c) in enumerate(zip(rounds, L, C), 1):
        md.append(f"| {i} | {' '.join(str(v) for v in r['load_before'])} | {x['init_ms']:.1f} "
                  f"({x['mem_after_init']['cpu_ms']:.1f}) | "
                  f"{med(r, 'version'):.1f} | {med(r, 'rules_list'):.1f} | "
                  f"{x['inv1']['function_ms']:.0f} | {x['inv2']['function_ms']:.0f} | {c['wall_s'] * 1000:.0f} | "
                  f"{x['mem_after_init']['VmRSS'] / 1024:.1f} / {x['inv1']['mem_after']['VmRSS'] / 1024:.1f} / "
                  f"{x['inv2']['mem_after']['VmRSS'] / 1024:.1f} | {x['peak_kb'] / 1024:.1f} | "
                  f"{c['max_rss_kb'] / 1024:.1f} |")
    return s, "\n".join(md) + "\n"


# --- artifact mode ---------------------------------------------------------------------------

def zip_of(path, work, label):
    """PATH.zip (cargo lambda's --output-format zip, beside the bootstrap) or one made here."""
    for cand in (path + ".zip", os.path.join(os.path.dirname(path), "bootstrap.zip")):
        if os.path.isfile(cand):
            return cand, "cargo lambda"
    made = os.path.join(work, f"{label}.zip")
    with zipfile.ZipFile(made, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(path, "bootstrap")
    return made, "zipfile deflate (made here)"


def unzip_ms(zpath, work, n):
    """Wall time to unpack the zip into a fresh directory and close the file, n times."""
    out = []
    for i in range(n):
        d = os.path.join(work, f"unzip-{i}")
        t0 = time.monotonic()
        with zipfile.ZipFile(zpath) as z:
            z.extractall(d)
        out.append((time.monotonic() - t0) * 1000)
        shutil.rmtree(d)
    return out


def artifact_mode(a, ctx, work):
    arts = []
    for spec in a.artifact:
        label, _, path = spec.partition("=")
        path = os.path.abspath(path)
        if not label or not os.path.isfile(path):
            raise SystemExit(f"--artifact {spec}: want LABEL=PATH to an existing bootstrap")
        zpath, zfrom = zip_of(path, work, label)
        arts.append({"label": label, "path": path, "bytes": os.path.getsize(path), "zip": zpath,
                     "zip_from": zfrom, "zip_bytes": os.path.getsize(zpath)})
    log("warm-up: one cold start per artifact (fills the state table, warms the page cache)")
    for art in arts:
        lambda_round(a, ctx, work, f"warmup-{art['label']}", art["path"])
    rounds = []
    for i in range(1, a.reps + 1):
        order = arts[(i - 1) % len(arts):] + arts[:(i - 1) % len(arts)]
        r = {"load_before": loadavg(), "order": [x["label"] for x in order], "by": {}}
        for art in order:
            x = lambda_round(a, ctx, work, f"r{i}-{art['label']}", art["path"])
            x["unzip_ms"] = statistics.median(unzip_ms(art["zip"], work, a.start_runs))
            r["by"][art["label"]] = x
            log(f"r{i} {art['label']}: unzip {x['unzip_ms']:.0f} ms, init {x['init_ms']:.1f} ms "
                f"({x['mem_after_init']['cpu_ms']:.1f} ms CPU), cold {x['inv1']['function_ms']:.0f} ms, "
                f"peak {x['peak_kb'] / 1024:.1f} MB | load {r['load_before']}")
        rounds.append(r)
    base = arts[0]["label"]
    rows, ratios = [], []
    for art in arts:
        X = [r["by"][art["label"]] for r in rounds]
        B = [r["by"][base] for r in rounds]
        per = {
            "unzip_ms": stats([x["unzip_ms"] for x in X]),
            "init_ms": stats([x["init_ms"] for x in X]),
            "init_cpu_ms": stats([x["mem_after_init"]["cpu_ms"] for x in X]),
            "cold_ms": stats([x["inv1"]["function_ms"] for x in X]),
            "start_ms": stats([x["unzip_ms"] + x["init_ms"] + x["inv1"]["function_ms"] for x in X]),
            "rss_init_mb": stats([x["mem_after_init"]["VmRSS"] / 1024 for x in X]),
            "peak_mb": stats([x["peak_kb"] / 1024 for x in X]),
        }
        art["summary"] = per
        rows.append(
            f"| {art['label']} | {art['bytes'] / 1e6:.1f} MB | {art['zip_bytes'] / 1e6:.1f} MB | "
            f"{fmt(per['unzip_ms'], 'ms')} | {fmt(per['init_ms'], 'ms', nd=1)} | "
            f"{fmt(per['init_cpu_ms'], 'ms', nd=1)} | {fmt(per['cold_ms'], 'ms')} | "
            f"{fmt(per['start_ms'], 'ms')} | {fmt(per['rss_init_mb'], 'MB', nd=1)} | {fmt(per['peak_mb'], 'MB', nd=1)} |")
        if art["label"] != base:
            q = {
                "size": art["bytes"] / arts[0]["bytes"],
                "zip": art["zip_bytes"] / arts[0]["zip_bytes"],
                "unzip": stats([x["unzip_ms"] / b["unzip_ms"] for x, b in zip(X, B)]),
                "init": stats([x["init_ms"] / b["init_ms"] for x, b in zip(X, B)]),
                "init_cpu": stats([x["mem_after_init"]["cpu_ms"] / b["mem_after_init"]["cpu_ms"] for x, b in zip(X, B)]),
                "cold": stats([x["inv1"]["function_ms"] / b["inv1"]["function_ms"] for x, b in zip(X, B)]),
                "start": stats([(x["unzip_ms"] + x["init_ms"] + x["inv1"]["function_ms"])
                                / (b["unzip_ms"] + b["init_ms"] + b["inv1"]["function_ms"]) for x, b in zip(X, B)]),
                "rss_init": stats([x["mem_after_init"]["VmRSS"] / b["mem_after_init"]["VmRSS"] for x, b in zip(X, B)]),
            }
            art["vs_first"] = q
            ratios.append(
                f"- {art['label']} / {base}: size {q['size']:.3f}×, zip {q['zip']:.3f}×, "
                f"unzip {fmt(q['unzip'], '×', nd=2)}, init {fmt(q['init'], '×', nd=2)}, "
                f"init CPU {fmt(q['init_cpu'], '×', nd=2)}, cold invocation {fmt(q['cold'], '×', nd=2)}, "
                f"unzip + init + cold invocation {fmt(q['start'], '×', nd=2)}, RSS after init {fmt(q['rss_init'], '×', nd=3)}")
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    env_lines = [*a.env_line, f"uptime at the end: {uptime}"]
    md = [
        f"# Lambda artifacts compared ({a.reps} rounds + 1 warm-up per artifact)", "",
        *[f"- {line}" for line in env_lines], "",
        *[f"- {x['label']}: `{x['path']}`; zip: {x['zip_from']}" for x in arts], "",
        f"Workload: {a.scenario}, regions {a.regions}, notifications on; each round starts every "
        f"artifact once (order rotated per round). Median (min–max) over rounds:", "",
        "| artifact | bootstrap | zip | unzip | init (wall) | init CPU | cold invocation | "
        "unzip + init + cold | RSS after init | peak RSS |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *rows, "", "Ratios (per round, then median (min–max)):", "", *ratios, "",
    ]
    md = "\n".join(md) + "\n"
    with open(os.path.join(a.out, "results.json"), "w") as fh:
        json.dump({"context": {k: v for k, v in ctx.items() if k != "cli_notify"}, "env": env_lines,
                   "artifacts": arts, "rounds": rounds}, fh, indent=1)
    with open(os.path.join(a.out, "summary.md"), "w") as fh:
        fh.write(md)
    print(md)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--vigil", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--venv", default=os.path.join(ROOT, ".venv"))
    ap.add_argument("--cargo-lambda", default=None)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--invocations", type=int, default=2,
                    help="invocations per cold start (>= 2; more shows memory growth over invocations)")
    ap.add_argument("--start-runs", type=int, default=5,
                    help="`vigil --version` and `vigil rules list` runs per round")
    ap.add_argument("--scenario", default="fixtures/scenarios/demo-org.json")
    ap.add_argument("--members", type=int, default=0,
                    help="instead of --scenario: a synthetic org of this many members "
                         "(benches/compare/seed_org.py, full mix)")
    ap.add_argument("--regions", default="eu-west-1,us-east-1")
    ap.add_argument("--env-line", action="append", default=[], help="a line for the summary's header")
    ap.add_argument("--artifact", action="append", default=[], metavar="LABEL=PATH",
                    help="artifact mode (twice or more): compare these bootstraps' size, zip, unpacking "
                         "and cold start, per round, against the first")
    a = ap.parse_args()
    if len(a.artifact) == 1:
        ap.error("--artifact compares: give it at least twice")
    if a.invocations < 2:
        ap.error("--invocations must be at least 2")
    a.vigil = os.path.abspath(a.vigil)
    a.cargo_lambda = a.cargo_lambda or os.path.join(a.venv, "bin", "cargo-lambda")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.makedirs(a.out, exist_ok=True)
    work = os.path.join(a.out, "work")
    os.makedirs(work, exist_ok=True)
    try:
        if a.members:
            a.scenario = f"synthetic org (benches/compare/seed_org.py --members {a.members} --mix full)"
        log(f"moto, seeding {a.scenario}, notification set-up")
        ctx = setup(a, work)
        if a.artifact:
            artifact_mode(a, ctx, work)
            return
        if not ctx["cli_notify"]:
            log("this vigil scan has no --sns-topic-arn/--state-table: the CLI baseline does not notify")
        rounds, warm = [], None
        for i in range(a.reps + 1):
            tag = "warmup" if i == 0 else f"r{i}"
            r = {"load_before": loadavg()}
            if i == 0:
                # The function first: its first invocation is the first run (empty state table).
                r["lambda"] = lambda_round(a, ctx, work, tag)
                r["cli"] = cli_scan(a, ctx, work, tag)
                r["start"] = start_baselines(a, work, a.start_runs)
            else:
                r["start"] = start_baselines(a, work, a.start_runs)
                r["cli"] = cli_scan(a, ctx, work, tag)
                r["lambda"] = lambda_round(a, ctx, work, tag)
            x = r["lambda"]
            log(f"{tag}: init {x['init_ms']:.1f} ms ({x['mem_after_init']['cpu_ms']:.1f} ms CPU), cold {x['inv1']['function_ms']:.0f} ms, warm "
                f"{x['inv2']['function_ms']:.0f} ms, peak {x['peak_kb'] / 1024:.1f} MB | CLI "
                f"{r['cli']['wall_s'] * 1000:.0f} ms, {r['cli']['max_rss_kb'] / 1024:.1f} MB | --version "
                f"{statistics.median(v['wall_s'] for v in r['start']['version']) * 1000:.1f} ms, rules list "
                f"{statistics.median(v['wall_s'] for v in r['start']['rules_list']) * 1000:.1f} ms "
                f"| load {r['load_before']}")
            if i == 0:
                warm = r
            else:
                rounds.append(r)
        uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
        env_lines = [*a.env_line, f"uptime at the end: {uptime}"]
        s, md = summarize(a, ctx, warm, rounds, env_lines)
        with open(os.path.join(a.out, "results.json"), "w") as fh:
            json.dump({"context": {k: v for k, v in ctx.items() if k != "cli_notify"},
                       "cli_notify": bool(ctx["cli_notify"]), "env": env_lines, "warmup": warm,
                       "rounds": rounds, "summary": s}, fh, indent=1)
        with open(os.path.join(a.out, "summary.md"), "w") as fh:
            fh.write(md)
        print(md)
    finally:
        cleanup()


if __name__ == "__main__":
    main()
