#!/usr/bin/env python3
"""The whole-organization benchmark behind benches/compare/run.sh (run that, not this).

Phase "compare": a moto server on a free 127.0.0.1 port, an organization seeded into it
(management + COMPARE_MEMBERS members, REGIONS, ~50 resources per account), a counting proxy in
front of moto; then, in this one run: vigil (release build) through the proxy and directly,
Prowler one account at a time and PROWLER_PARALLEL accounts at a time, each with Prowler's own
retry settings and with retries off. Every tool run gets freshly reset proxy counters.

Phase "scale": a second moto server, one organization grown to each size of SCALE_ACCOUNTS
(accounts including the management account) and scanned by vigil directly at each size:
wall time, peak RSS, API calls.

Everything goes to --out (JSON per run, tool outputs, logs) and report.py turns it into
summary.md. Nothing here talks to anything but 127.0.0.1.
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchlib import free_port, logger, parse_time_v  # noqa: E402  (benches/benchlib.py)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# The services both tools collect, in Prowler's names.
PROWLER_SERVICES = "awslambda apigateway apigatewayv2 dynamodb kms organizations config"
# Prowler checks of those services that are left out, and why:
#  - they download function or layer code from the URL GetFunction returns (an S3 URL that
#    would leave the machine; vigil never reads code);
#  - they need services outside the seven (CloudTrail, EC2/VPC, DAX, Backup, Application Auto
#    Scaling), which vigil does not collect and moto partly lacks (CloudTrail LookupEvents is
#    a 5xx in moto: retried with back-off, it dominated Prowler's time in a first try).
PROWLER_EXCLUDED = {
    "awslambda_function_no_secrets_in_code": "downloads function code",
    "awslambda_layer_no_secrets_in_content": "downloads layer code",
    "awslambda_function_invoke_api_operations_cloudtrail_logging_enabled": "CloudTrail",
    "awslambda_function_vpc_multi_az": "EC2/VPC",
    "dynamodb_accelerator_cluster_encryption_enabled": "DAX",
    "dynamodb_accelerator_cluster_in_transit_encryption_enabled": "DAX",
    "dynamodb_accelerator_cluster_multi_az": "DAX",
    "dynamodb_table_protected_by_backup_plan": "AWS Backup",
    "dynamodb_table_autoscaling_enabled": "Application Auto Scaling",
    "kms_key_enclave_attestation_unknown_image": "CloudTrail LookupEvents",
    "kms_key_enclave_debug_attestation_detected": "CloudTrail LookupEvents",
}


log = logger("bench")


def load():
    with open("/proc/loadavg") as fh:
        return [float(x) for x in fh.read().split()[:3]]


class Proc:
    """A background process in its own process group, stopped (by its pid) on close."""

    def __init__(self, cmd, log_path, **kw):
        self.log = open(log_path, "wb")
        self.p = subprocess.Popen(cmd, stdout=kw.pop("stdout", self.log), stderr=self.log,
                                  stdin=subprocess.DEVNULL, start_new_session=True, **kw)

    def close(self):
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGTERM)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()
        self.log.close()


def start_moto(venv, out, tag):
    for _ in range(3):
        port = free_port()
        moto = Proc([os.path.join(venv, "bin", "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                    os.path.join(out, f"moto-{tag}.log"))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and moto.p.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return moto, f"http://127.0.0.1:{port}"
            except OSError:
                time.sleep(0.1)
        moto.close()
    raise SystemExit("moto_server did not start")


def start_proxy(venv, upstream, out):
    proxy = Proc([os.path.join(venv, "bin", "python"), os.path.join(HERE, "count_proxy.py"), "--upstream", upstream],
                 os.path.join(out, "proxy.log"), stdout=subprocess.PIPE)
    port = int(proxy.p.stdout.readline().decode().strip())
    return proxy, f"http://127.0.0.1:{port}"


def proxy_call(endpoint, what):
    req = urllib.request.Request(f"{endpoint}/__proxy/{what}", method="POST" if what == "reset" else "GET")
    # The proxy is on 127.0.0.1: never through an HTTP proxy from the environment.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(req, timeout=30) as r:
        return json.loads(r.read())


def seed(venv, endpoint, members, regions, mix, threads, out, tag):
    log(f"seeding {members} members ({mix} mix) into {endpoint}")
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE="/nonexistent/bench",
               AWS_SHARED_CREDENTIALS_FILE="/nonexistent/bench", NO_PROXY="127.0.0.1,localhost")
    started = time.monotonic()
    r = subprocess.run([os.path.join(venv, "bin", "python"), os.path.join(HERE, "seed_org.py"),
                        "--endpoint", endpoint, "--members", str(members), "--regions", regions,
                        "--mix", mix, "--threads", str(threads)],
                       env=env, capture_output=True, check=False)
    if r.returncode != 0:
        sys.stderr.write(r.stderr.decode())
        raise SystemExit(f"seeding failed ({tag})")
    manifest = json.loads(r.stdout)
    manifest["wall_seconds"] = round(time.monotonic() - started, 2)
    path = os.path.join(out, f"manifest-{tag}.json")
    with open(path, "w") as fh:
        json.dump(manifest, fh, indent=1)
    log(f"seeded: {manifest['accounts']} accounts, {manifest['resources_total']} resources, "
        f"{manifest['wall_seconds']} s")
    return manifest, path


def run_vigil(vigil, endpoint, regions, out, tag, extra=()):
    """vigil scan under /usr/bin/time -v; returns wall time, peak RSS and the report's scan block."""
    rdir = os.path.join(out, f"vigil-{tag}")
    os.makedirs(rdir, exist_ok=True)
    report = os.path.join(rdir, "report.json")
    env = {"PATH": "/usr/bin:/bin", "HOME": rdir, "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
           "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": "/nonexistent/bench",
           "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/bench"}
    cmd = ["/usr/bin/time", "-v", "-o", os.path.join(rdir, "time.txt"), vigil, "scan",
           "--endpoint-url", endpoint, "--regions", regions, "--format", "json", "--output", report,
           "--stats", "--quiet", *extra]
    before = load()
    started = time.monotonic()
    with open(os.path.join(rdir, "stderr.txt"), "wb") as err:
        rc = subprocess.run(cmd, env=env, cwd=rdir, stdout=subprocess.DEVNULL, stderr=err,
                            stdin=subprocess.DEVNULL).returncode
    wall = time.monotonic() - started
    if rc not in (0, 1):
        raise SystemExit(f"vigil scan ({tag}) exited {rc}: see {rdir}/stderr.txt")
    with open(report) as fh:
        doc = json.load(fh)
    scan = doc["scan"]
    res = {"tag": tag, "tool_version": doc.get("tool", {}).get("version", ""), "command": " ".join(cmd[4:]), "wall_seconds": round(wall, 2), "exit_code": rc,
           "load_before": before, "report": report, "scan": scan, **parse_time_v(os.path.join(rdir, "time.txt"))}
    log(f"vigil {tag}: {res['wall_seconds']} s, peak RSS {res['max_rss_kb'] / 1024:.1f} MB, "
        f"{scan['resources']} resources, {scan['api_calls']} API calls")
    return res


def compare(a, out):
    moto, moto_url = start_moto(a.moto_venv, out, "compare")
    proxy = None
    try:
        manifest, manifest_path = seed(a.moto_venv, moto_url, a.compare_members, a.regions, "full",
                                       a.seed_threads, out, "compare")
        proxy, proxy_url = start_proxy(a.moto_venv, moto_url, out)
        results = {"manifest": manifest, "load_start": load(), "runs": {}}

        # vigil, directly against moto (reference), then through the counting proxy.
        results["runs"]["vigil-direct"] = run_vigil(a.vigil, moto_url, a.regions, out, "compare-direct")
        proxy_call(proxy_url, "reset")
        run = run_vigil(a.vigil, proxy_url, a.regions, out, "compare")
        run["proxy"] = proxy_call(proxy_url, "stats")
        results["runs"]["vigil"] = run

        parallel = min(a.prowler_parallel, manifest["accounts"])
        modes = {"seq": (1, "default"), "seq-noretry": (1, "0"),
                 "par": (parallel, "default"), "par-noretry": (parallel, "0")}
        for mode in a.prowler_modes.split(","):
            mode = mode.strip()
            if not mode:
                continue
            n, retries = modes[mode]
            log(f"prowler {mode}: {manifest['accounts']} accounts, {n} at a time, retries {retries}")
            proxy_call(proxy_url, "reset")
            summary = os.path.join(out, f"prowler-{mode}.json")
            before = load()
            r = subprocess.run([os.path.join(a.prowler_venv, "bin", "python"), os.path.join(HERE, "run_prowler.py"),
                                "--prowler", os.path.join(a.prowler_venv, "bin", "prowler"),
                                "--endpoint", proxy_url, "--manifest", manifest_path,
                                "--services", PROWLER_SERVICES,
                                "--excluded-checks", " ".join(PROWLER_EXCLUDED),
                                "--regions", a.regions, "--parallel", str(n), "--retries", retries,
                                "--workdir", os.path.join(out, f"prowler-{mode}"), "--out", summary],
                               check=False)
            if r.returncode != 0:
                raise SystemExit(f"run_prowler.py ({mode}) failed")
            with open(summary) as fh:
                res = json.load(fh)
            res["load_before"] = before
            res["proxy"] = proxy_call(proxy_url, "stats")
            results["runs"][f"prowler-{mode}"] = res
            log(f"prowler {mode}: {res['wall_seconds']} s, largest process {res['max_process_rss_kb'] / 1024:.0f} MB, "
                f"sampled total {res['sampled_peak_total_rss_kb'] / 1024:.0f} MB, "
                f"{res['proxy']['total']['requests']} requests")
        results["load_end"] = load()
        results["prowler_excluded_checks"] = PROWLER_EXCLUDED
        results["prowler_services"] = PROWLER_SERVICES
        results["prowler_version"] = subprocess.run(
            [os.path.join(a.prowler_venv, "bin", "prowler"), "--version"], capture_output=True,
            env={"PATH": "/usr/bin:/bin", "HOME": out, "HTTPS_PROXY": "http://127.0.0.1:9",
                 "HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1,localhost"},
            text=True).stdout.strip().splitlines()[-1:]
        with open(os.path.join(out, "compare.json"), "w") as fh:
            json.dump(results, fh, indent=1)
    finally:
        if proxy:
            proxy.close()
        moto.close()


def scale(a, out):
    sizes = sorted(int(x) for x in a.scale_accounts.replace(",", " ").split())
    moto, moto_url = start_moto(a.moto_venv, out, "scale")
    try:
        results = {"sizes": [], "mix": a.scale_mix}
        for size in sizes:
            manifest, _ = seed(a.moto_venv, moto_url, size - 1, a.regions, a.scale_mix, a.seed_threads,
                               out, f"scale-{size}")
            run = run_vigil(a.vigil, moto_url, a.regions, out, f"scale-{size}")
            run["manifest"] = manifest
            results["sizes"].append(run)
            with open(os.path.join(out, "scale.json"), "w") as fh:
                json.dump(results, fh, indent=1)
    finally:
        moto.close()


def builds(a, out):
    """Two vigil builds on one seeded organization, alternating (A B A B ...): wall time and
    peak RSS of each, and the ratios current/baseline. Alternating spreads any drift of the
    machine (other load, moto's caches) over both builds alike."""
    moto, moto_url = start_moto(a.moto_venv, out, "builds")
    try:
        manifest, _ = seed(a.moto_venv, moto_url, a.builds_accounts - 1, a.regions, a.scale_mix,
                           a.seed_threads, out, "builds")
        runs = {"baseline": [], "current": []}
        for i in range(a.builds_rounds):
            for name, binary in (("baseline", a.baseline_vigil), ("current", a.vigil)):
                runs[name].append(run_vigil(binary, moto_url, a.regions, out, f"builds-{name}-{i}"))
        med = lambda xs: sorted(xs)[len(xs) // 2]
        summary = {}
        for name, rs in runs.items():
            summary[name] = {"wall_seconds_median": med([r["wall_seconds"] for r in rs]),
                             "max_rss_mb_median": round(med([r["max_rss_kb"] for r in rs]) / 1024, 1),
                             "resources": rs[0]["scan"]["resources"], "api_calls": rs[0]["scan"]["api_calls"]}
        ratio = {k: round(summary["current"][m] / summary["baseline"][m], 3)
                 for k, m in (("wall", "wall_seconds_median"), ("rss", "max_rss_mb_median"))}
        result = {"accounts": manifest["accounts"], "rounds": a.builds_rounds, "manifest": manifest,
                  "summary": summary, "ratio_current_over_baseline": ratio, "runs": runs}
        with open(os.path.join(out, "builds.json"), "w") as fh:
            json.dump(result, fh, indent=1)
        lines = [f"# Two builds on one organization ({manifest['accounts']} accounts, "
                 f"{manifest['resources_total']} seeded resources, {a.builds_rounds} alternating rounds)", "",
                 "| build | wall s (median) | peak RSS MB (median) | resources | API calls |", "|---|---|---|---|---|"]
        for name in ("baseline", "current"):
            x = summary[name]
            lines.append(f"| {name} | {x['wall_seconds_median']} | {x['max_rss_mb_median']} | {x['resources']} | {x['api_calls']} |")
        lines += ["", f"current / baseline: wall {ratio['wall']}, peak RSS {ratio['rss']}", ""]
        with open(os.path.join(out, "builds.md"), "w") as fh:
            fh.write("\n".join(lines))
        log("\n".join(lines))
    finally:
        moto.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--vigil", required=True)
    ap.add_argument("--moto-venv", required=True)
    ap.add_argument("--prowler-venv", required=True)
    ap.add_argument("--regions", default="us-east-1,eu-west-1")
    ap.add_argument("--compare-members", type=int, default=8)
    ap.add_argument("--prowler-modes", default="seq,seq-noretry,par,par-noretry")
    ap.add_argument("--prowler-parallel", type=int, default=16)
    ap.add_argument("--scale-accounts", default="10 50 200")
    ap.add_argument("--scale-mix", default="full")
    ap.add_argument("--seed-threads", type=int, default=8)
    ap.add_argument("--phases", default="compare,scale")
    ap.add_argument("--baseline-vigil", help="builds phase: the vigil binary to compare with")
    ap.add_argument("--builds-accounts", type=int, default=50)
    ap.add_argument("--builds-rounds", type=int, default=3)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    phases = a.phases.split(",")
    if "compare" in phases:
        compare(a, a.out)
    if "scale" in phases:
        scale(a, a.out)
    if "builds" in phases:
        if not a.baseline_vigil:
            raise SystemExit("the builds phase needs --baseline-vigil (BASELINE_VIGIL_BIN)")
        builds(a, a.out)
    if "compare" in phases or "scale" in phases:
        subprocess.run([sys.executable, os.path.join(HERE, "report.py"), a.out], check=True)


if __name__ == "__main__":
    main()
