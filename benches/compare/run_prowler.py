#!/usr/bin/env python3
"""Runs Prowler over every account of a seeded organization, one Prowler process per account
(Prowler has no organization-wide mode): the management account with the caller's credentials,
each member through `--role arn:aws:iam::<id>:role/<role>`, either one account after the other
(--parallel 1) or N accounts at a time.

Each process runs under /usr/bin/time -v (its own peak RSS); a sampler adds up the resident
memory of every process this script started, every 100 ms (the peak footprint of a parallel
run). Prowler reaches nothing but --endpoint: AWS_ENDPOINT_URL points every boto3 client there,
and HTTP(S)_PROXY points anything else (its version check, a presigned code download) at a
closed local port, so such a request fails at once instead of leaving the machine.

Writes a JSON summary (--out): wall time, per-account time / peak RSS / exit code, the sampled
peak of the whole run, and where each account's OCSF findings are.
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchlib import parse_time_v  # noqa: E402  (benches/benchlib.py)

PAGE = os.sysconf("SC_PAGE_SIZE")


def tree_rss(root_pid):
    """Resident bytes of every descendant of root_pid (not root_pid itself)."""
    children, rss = {}, {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as fh:
                stat = fh.read()
            with open(f"/proc/{name}/statm") as fh:
                pages = int(fh.read().split()[1])
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(ppid, []).append(int(name))
        rss[int(name)] = pages * PAGE
    total, todo = 0, list(children.get(root_pid, []))
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


class Sampler(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.peak, self.stop = 0, threading.Event()

    def run(self):
        me = os.getpid()
        while not self.stop.is_set():
            self.peak = max(self.peak, tree_rss(me))
            self.stop.wait(0.1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--prowler", required=True, help="the prowler executable")
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--manifest", required=True, help="seed_org.py's JSON manifest")
    ap.add_argument("--services", required=True, help="space-separated Prowler service names")
    ap.add_argument("--excluded-checks", default="")
    ap.add_argument("--regions", required=True, help="comma-separated")
    ap.add_argument("--role-name", default="VigilAuditRole")
    ap.add_argument("--parallel", type=int, default=1)
    ap.add_argument("--retries", default="default", help="'default' (Prowler's own) or a number of retries (0 = off)")
    ap.add_argument("--timeout", type=int, default=1200, help="seconds per account")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    a.prowler, a.workdir = os.path.abspath(a.prowler), os.path.abspath(a.workdir)

    with open(a.manifest) as fh:
        manifest = json.load(fh)
    accounts = [manifest["management"]] + manifest["members"]
    os.makedirs(a.workdir, exist_ok=True)
    home = os.path.join(a.workdir, "home")
    os.makedirs(home, exist_ok=True)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": home,
        "LANG": "C.UTF-8",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/nonexistent/bench-aws-config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/bench-aws-credentials",
        "AWS_ENDPOINT_URL": a.endpoint,
        # Anything not addressed to 127.0.0.1 goes to a closed local port and fails at once.
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "http_proxy": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }

    def run_account(acct):
        tag = "management" if acct == manifest["management"] else acct
        adir = os.path.join(a.workdir, tag)
        os.makedirs(adir, exist_ok=True)
        cmd = ["/usr/bin/time", "-v", "-o", os.path.join(adir, "time.txt"), a.prowler, "aws",
               "--service", *a.services.split(),
               "-f", *a.regions.split(","),
               "--output-formats", "json-ocsf", "--output-directory", os.path.join(adir, "out"),
               "--output-filename", "prowler", "--no-banner", "--no-color", "--ignore-exit-code-3"]
        if a.excluded_checks.split():
            cmd += ["--excluded-check", *a.excluded_checks.split()]
        if acct != manifest["management"]:
            cmd += ["--role", f"arn:aws:iam::{acct}:role/{a.role_name}"]
        if a.retries != "default":
            cmd += ["--aws-retries-max-attempts", a.retries]
        started = time.monotonic()
        with open(os.path.join(adir, "stdout.txt"), "wb") as out, open(os.path.join(adir, "stderr.txt"), "wb") as err:
            try:
                rc = subprocess.run(cmd, env=env, cwd=adir, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                    timeout=a.timeout).returncode
            except subprocess.TimeoutExpired:
                rc = "timeout"
        res = {"account": acct, "seconds": round(time.monotonic() - started, 2), "exit_code": rc,
               "findings": os.path.join(adir, "out", "prowler.ocsf.json")}
        res.update(parse_time_v(os.path.join(adir, "time.txt")))
        print(f"  prowler {tag}: {res['seconds']} s, exit {rc}, peak RSS "
              f"{res.get('max_rss_kb', 0) / 1024:.0f} MB", file=sys.stderr, flush=True)
        return res

    sampler = Sampler()
    sampler.start()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, a.parallel)) as pool:
        results = list(pool.map(run_account, accounts))
    wall = time.monotonic() - started
    sampler.stop.set()
    sampler.join()
    summary = {
        "parallel": a.parallel, "retries": a.retries, "accounts": len(accounts),
        "wall_seconds": round(wall, 2),
        "max_process_rss_kb": max((r.get("max_rss_kb", 0) for r in results), default=0),
        "sum_process_rss_kb": sum(r.get("max_rss_kb", 0) for r in results),
        "sampled_peak_total_rss_kb": sampler.peak // 1024,
        "failed_accounts": [r["account"] for r in results if r["exit_code"] not in (0, 3)],
        "per_account": results,
    }
    with open(a.out, "w") as fh:
        json.dump(summary, fh, indent=1)


if __name__ == "__main__":
    main()
