#!/usr/bin/env python3
"""Continuous-mode benchmark (issue 15): how long the vigil function takes from receiving an
SQS batch of change events to the end of its answer (its SNS publishes happen inside), for one
event and for a batch of 100, how many AWS API calls an event costs and the function's peak
memory; against re-scanning the whole account for the same change, with the same warm
function in the same run (a scheduled invocation narrowed to that account).

Run by benches/events/run.sh (which builds the release binary); by hand:

  .venv/bin/python benches/events/bench.py --vigil target/release/vigil --out DIR [--reps 15]

Set-up: moto on a free 127.0.0.1 port, the demo organization seeded (tests/support/seed.py),
the topic / queue / state table (tests/support/notify_setup.py), one Runtime API emulator
(`cargo lambda watch --only-lambda-apis`) behind benches/lambda/bench.py's timing proxy and one
function process (warm for every measurement: init is benches/lambda's subject), a first
scheduled invocation (records the organization).

Each round, in this order:
  1. one event: point-in-time recovery of one table toggled in moto, then a batch of one real
     UpdateTable event (fixtures/events, adapted to the account and table): one `new` or one
     `resolved` notification per round;
  2. a batch of 100 events: the same table event for every table of the organization, with
     distinct event ids, 100 messages (the tables' PITR toggled first, so each round notifies);
  3. the baseline: a scheduled invocation narrowed to the table's account
     (`{"accounts": [id]}`), what a scanner without change events would do to see the change.
Measured: the function side of each invocation (the proxy's /next response to the function's
/response, one monotonic clock), the client's wall time around `cargo lambda invoke`, API calls
(the function's `event batch handled ... api_calls=N` log line; the run summary's `api_calls`
for the baseline), the function's VmHWM at the end. p50/p95 over the rounds; ratios against the
baseline of the same round, then their median.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "benches", "lambda"))
sys.path.insert(0, os.path.join(ROOT, "benches"))
import bench as lb  # noqa: E402  (benches/lambda/bench.py: proxy, processes, set-up)
from benchlib import free_port, logger  # noqa: E402

log = logger("events/bench.py")


def helper(a, ctx, *args):
    py = os.path.join(a.venv, "bin", "python")
    out = subprocess.run([py, os.path.join(ROOT, "tests/support/notify_setup.py"), "--endpoint", ctx["moto"], *args],
                         env=lb.base_env(a.out), capture_output=True, check=True)
    return json.loads(out.stdout)


def table_event(account, region, table, event_id, t):
    with open(os.path.join(ROOT, "fixtures/events/cloudtrail/dynamodb/UpdateTable.json")) as fh:
        ev = json.load(fh)
    ev["account"], ev["region"], ev["time"] = account, region, t
    d = ev["detail"]
    d.update({"recipientAccountId": account, "awsRegion": region, "eventID": event_id, "eventTime": t})
    d["requestParameters"]["tableName"] = table
    desc = (d.get("responseElements") or {}).get("tableDescription")
    if isinstance(desc, dict):
        desc["tableName"] = table
        desc["tableArn"] = f"arn:aws:dynamodb:{region}:{account}:table/{table}"
    return ev


def sqs_batch(bodies):
    with open(os.path.join(ROOT, "fixtures/events/sqs/batch.json")) as fh:
        template = json.load(fh)["Records"][0]
    records = []
    for i, body in enumerate(bodies):
        r = dict(template)
        r.pop("md5OfBody", None)
        r["messageId"] = f"bench-{time.monotonic_ns()}-{i}"
        r["body"] = json.dumps(body)
        records.append(r)
    return {"Records": records}


def invoke(a, port, proxy, event, n_done):
    """One invocation; returns (function ms, client ms, response). n_done: invocations before."""
    wall, resp = lb.invoke(a, port, a.out, f"{n_done + 1}", event)
    i = n_done + 1
    if not proxy.wait_for(lambda evs: proxy.count("next_in")(evs) > i
                          and proxy.count("response")(evs) + proxy.count("error")(evs) >= i, 120):
        raise SystemExit("the function did not ask for another event")
    with proxy.lock:
        evs = list(proxy.events)
    delivered = [e for e in evs if e["kind"] == "next" and e["id"]][i - 1]
    done = next(e for e in evs if e["kind"] in ("response", "error") and e["id"] == delivered["id"])
    return (done["t_in"] - delivered["t_out"]) * 1000, wall * 1000, resp


def last_api_calls(logpath):
    with open(logpath, errors="replace") as fh:
        lines = [l for l in fh if "event batch handled" in l]
    m = re.search(r"api_calls=(\d+)", lines[-1]) if lines else None
    return int(m.group(1)) if m else None


def pct(xs, p):
    xs = sorted(xs)
    k = max(0, min(len(xs) - 1, round(p / 100 * (len(xs) - 1))))
    return xs[k]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--vigil", required=True)
    ap.add_argument("--venv", default=os.path.join(ROOT, ".venv"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--regions", default="eu-west-1,us-east-1")
    ap.add_argument("--scenario", default="fixtures/scenarios/demo-org.json")
    ap.add_argument("--env-line", action="append", default=[])
    a = ap.parse_args()
    a.members = 0
    a.cargo_lambda = os.path.join(a.venv, "bin", "cargo-lambda")
    os.makedirs(a.out, exist_ok=True)
    try:
        ctx = lb.setup(a, a.out)
        with open(os.path.join(ROOT, a.scenario)) as fh:
            scenario = json.load(fh)
        accounts = ctx["seeded"]["accounts"]
        regions = a.regions.split(",")
        tables = [(accounts[t["account"]], t["region"], t["name"], bool(t.get("pitr")))
                  for t in scenario.get("dynamodb_tables", [])
                  if t["account"] in accounts and t["region"] in regions]
        if not tables:
            raise SystemExit(f"{a.scenario} has no DynamoDB table in {a.regions}")
        emu_port = free_port()
        emu = lb.spawn([a.cargo_lambda, "lambda", "watch", "--only-lambda-apis", "--invoke-address", "127.0.0.1",
                        "--invoke-port", str(emu_port)], os.path.join(a.out, "emulator.log"), cwd=ROOT)
        lb.wait_port(emu_port, emu, "cargo lambda watch")
        proxy = lb.Proxy(emu_port)
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        env = {**lb.base_env(a.out),
               "AWS_LAMBDA_RUNTIME_API": f"http://127.0.0.1:{proxy.server_address[1]}/.rt",
               "AWS_LAMBDA_FUNCTION_NAME": "_", "AWS_LAMBDA_FUNCTION_VERSION": "1",
               "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512", "AWS_ENDPOINT_URL": ctx["moto"],
               "VIGIL_REGIONS": a.regions, "VIGIL_SNS_TOPIC_ARN": ctx["topic"], "VIGIL_STATE_TABLE": ctx["table"]}
        fnlog = os.path.join(a.out, "function.log")
        fh = open(fnlog, "ab")
        fn = subprocess.Popen([a.vigil], env=env, cwd=a.out, stdout=fh, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL)
        fh.close()
        lb.PROCS.append(fn)
        if not proxy.wait_for(proxy.count("next_in"), 120):
            raise SystemExit("the function never asked for an event")
        n = 0
        _, _, first = invoke(a, emu_port, proxy, lb.SCHEDULED, n)
        n += 1
        log(f"first run: {first.get('status')}, {first.get('resources')} resources, {first.get('api_calls')} API calls")
        helper(a, ctx, "drain", "--queue-url", ctx["queue"])
        acct, region, name, _ = tables[0]
        pitr = {t[:3]: t[3] for t in tables}
        rows = []
        for r in range(a.reps):
            row = {"round": r + 1, "load": lb.loadavg()}
            # 1. One event.
            pitr[tables[0][:3]] = not pitr[tables[0][:3]]
            helper(a, ctx, "pitr", *([] if pitr[tables[0][:3]] else ["--off"]), "--account-id", acct, "--region", region,
                   "--table-name", name)
            t = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            ms, client, resp = invoke(a, emu_port, proxy, sqs_batch([table_event(acct, region, name, f"b1-{r}", t)]), n)
            n += 1
            msgs = helper(a, ctx, "drain", "--queue-url", ctx["queue"])
            row["one"] = {"function_ms": ms, "client_ms": client, "api_calls": last_api_calls(fnlog),
                          "failures": len(resp.get("batchItemFailures", [])), "messages": len(msgs)}
            # 2. 100 events over every table.
            for acc, reg, tname, _ in tables:
                pitr[(acc, reg, tname)] = not pitr[(acc, reg, tname)]
                helper(a, ctx, "pitr", *([] if pitr[(acc, reg, tname)] else ["--off"]), "--account-id", acc, "--region", reg,
                       "--table-name", tname)
            t = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            bodies = [table_event(*tables[i % len(tables)][:3], f"b100-{r}-{i}", t) for i in range(100)]
            ms, client, resp = invoke(a, emu_port, proxy, sqs_batch(bodies), n)
            n += 1
            msgs = helper(a, ctx, "drain", "--queue-url", ctx["queue"])
            row["hundred"] = {"function_ms": ms, "client_ms": client, "api_calls": last_api_calls(fnlog),
                              "failures": len(resp.get("batchItemFailures", [])), "messages": len(msgs)}
            # 3. The baseline: the whole account scanned again.
            ms, client, resp = invoke(a, emu_port, proxy, {"accounts": [acct]}, n)
            n += 1
            helper(a, ctx, "drain", "--queue-url", ctx["queue"])
            row["account_scan"] = {"function_ms": ms, "client_ms": client, "api_calls": resp.get("api_calls"),
                                   "status": resp.get("status")}
            rows.append(row)
            log(f"round {r + 1}: one {row['one']['function_ms']:.0f} ms, 100 {row['hundred']['function_ms']:.0f} ms, "
                f"account {ms:.0f} ms")
        mem = lb.proc_status(fn.pid)
        lb.stop(fn)
        proxy.shutdown()
        lb.stop(emu)
        summary = summarize(a, rows, mem, len(tables))
        with open(os.path.join(a.out, "results.json"), "w") as fh:
            json.dump({"env": a.env_line, "rows": rows, "memory_kb": mem, "tables": len(tables)}, fh, indent=1)
        with open(os.path.join(a.out, "summary.md"), "w") as fh:
            fh.write(summary)
        print(summary)
    finally:
        lb.cleanup()


def summarize(a, rows, mem, n_tables):
    def col(kind, key):
        return [r[kind][key] for r in rows if r[kind].get(key) is not None]

    out = [f"# Continuous mode: {len(rows)} rounds", ""] + [f"- {l}" for l in a.env_line] + [""]
    out += ["| batch | function p50 | p95 | min–max | API calls (median) | messages published | vs rescanning the account (median of per-round ratios) |",
            "|---|---|---|---|---|---|---|"]
    base = col("account_scan", "function_ms")
    for kind, label in (("one", "1 event"), ("hundred", f"100 events ({n_tables} tables)"), ("account_scan", "baseline: the account rescanned")):
        xs = col(kind, "function_ms")
        ratio = statistics.median(x / b for x, b in zip(xs, base)) if kind != "account_scan" else 1.0
        calls = col(kind, "api_calls")
        msgs = col(kind, "messages")
        out.append(f"| {label} | {statistics.median(xs):.0f} ms | {pct(xs, 95):.0f} ms | {min(xs):.0f}–{max(xs):.0f} ms | "
                   f"{statistics.median(calls) if calls else '?'} | {statistics.median(msgs) if msgs else '—'} | {ratio:.2f}× |")
    fails = sum(r["one"]["failures"] + r["hundred"]["failures"] for r in rows)
    out += ["", f"batchItemFailures over all rounds: {fails}. Function peak RSS (VmHWM) at the end: "
            f"{mem.get('VmHWM', 0) / 1024:.1f} MB (VmRSS {mem.get('VmRSS', 0) / 1024:.1f} MB).", ""]
    return "\n".join(out)


if __name__ == "__main__":
    main()
