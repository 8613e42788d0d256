#!/usr/bin/env python3
"""Turns a benches/compare results directory (compare.json, scale.json, the tools' outputs)
into summary.md: the ratios and absolute numbers of that one run, as Markdown tables.

Usage: report.py RESULTS_DIR
"""
import collections
import json
import os
import sys

SERVICES = ["lambda", "apigateway", "apigatewayv2", "dynamodb", "kms", "organizations", "config"]
VIGIL_SERVICE = {
    "AWS::Lambda::Function": "lambda", "AWS::ApiGateway::RestApi": "apigateway",
    "AWS::ApiGatewayV2::Api": "apigatewayv2", "AWS::DynamoDB::Table": "dynamodb",
    "AWS::KMS::Key": "kms", "AWS::Organizations::Account": "organizations",
    "AWS::Config::Region": "config",
}
PROWLER_SERVICE = {"awslambda": "lambda"}
LAMBDA_BUDGET_S = 15 * 60


def mb(kb):
    return kb / 1024


def vigil_by_service(report_path):
    with open(report_path) as fh:
        report = json.load(fh)
    out = {s: {"fail": 0, "pass": 0, "other": 0, "resources": set()} for s in SERVICES}
    for f in report["findings"]:
        s = VIGIL_SERVICE.get(f["resource_type"])
        if s is None:
            continue
        key = f["status"] if f["status"] in ("fail", "pass") else "other"
        out[s][key] += 1
        out[s]["resources"].add((f["account_id"], f["region"], f["resource_arn"] or f["resource_id"]))
    return out


def prowler_by_service(run):
    out = {s: {"fail": 0, "pass": 0, "other": 0, "resources": set(), "checks": set()} for s in SERVICES}
    for acct in run["per_account"]:
        try:
            with open(acct["findings"]) as fh:
                findings = json.load(fh)
        except (OSError, ValueError):
            continue
        for f in findings:
            check = f["metadata"]["event_code"]
            prefix = check.split("_")[0]
            s = PROWLER_SERVICE.get(prefix, prefix)
            if s not in out:
                continue
            status = f.get("status_code", "").lower()
            out[s][status if status in ("fail", "pass") else "other"] += 1
            out[s]["checks"].add(check)
            for r in f.get("resources", [])[:1]:
                out[s]["resources"].add((acct["account"], r.get("region"), r.get("uid")))
    return out


def short(command):
    """A command line without this run's absolute paths and ports."""
    import re
    command = re.sub(r"\S*/target/release/vigil", "vigil", command)
    command = re.sub(r"http://127\.0\.0\.1:\d+", "http://127.0.0.1:PORT", command)
    return re.sub(r"--output \S+", "--output report.json", command)


def cpu(run):
    return run.get("user_s", 0.0) + run.get("sys_s", 0.0)


def ratio(a, b):
    return f"{a / b:.1f}×" if b else "n/a"


def compare_section(c, lines):
    m = c["manifest"]
    runs = c["runs"]
    v = runs["vigil"]
    vd = runs.get("vigil-direct")
    resources = m["resources_total"]
    per_kind = ", ".join(f"{k} {n}" for k, n in m["resources_per_account"].items())
    lines += [
        "### Organization",
        "",
        f"- {m['accounts']} accounts (management + {len(m['members'])} members), regions "
        f"{', '.join(m['regions'])}; per account {m['resources_per_account_total']} resources "
        f"({per_kind}); {resources} in all. Seeded in {m['wall_seconds']} s.",
        f"- vigil {v.get('tool_version', '')}: `{short(v['command'])}` (default concurrency); "
        f"{' '.join(c.get('prowler_version', [])) or 'Prowler'}: `prowler aws --service {c['prowler_services']} "
        f"-f <regions> --output-formats json-ocsf` per account (`--role arn:aws:iam::<id>:role/VigilAuditRole` "
        f"for members), {len(c['prowler_excluded_checks'])} checks excluded (see below).",
        f"- vigil collected {v['scan']['resources']} resources (seeded: {resources}).",
        f"- load average (1/5/15 min) at start {c['load_start']}, at end {c['load_end']}.",
        "",
        "### Wall time and peak RSS (Prowler ÷ vigil, same run)",
        "",
        "| run | wall | vs vigil | CPU (user+sys) | vs vigil | peak RSS | vs vigil | API calls | per resource | vs vigil | retried | duplicates |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    vcalls = v["proxy"]["total"]["requests"]
    vcpu = cpu(v)
    lines.append(
        f"| **vigil** (through the counting proxy) | {v['wall_seconds']:.1f} s | 1× | {vcpu:.1f} s | 1× "
        f"| {mb(v['max_rss_kb']):.0f} MB | 1× "
        f"| {vcalls} | {vcalls / resources:.2f} | 1× | {v['proxy']['total']['retries']} "
        f"| {v['proxy']['total']['duplicates']} |")
    if vd:
        lines.append(
            f"| vigil, directly against moto | {vd['wall_seconds']:.1f} s | — | {cpu(vd):.1f} s | — "
            f"| {mb(vd['max_rss_kb']):.0f} MB | — | {vd['scan']['api_calls']} (vigil's count) | "
            f"{vd['scan']['api_calls'] / resources:.2f} | — | — | — |")
    names = {"seq": "one account at a time, Prowler's retries",
             "seq-noretry": "one account at a time, retries off (`--aws-retries-max-attempts 0`)",
             "par": "{n} accounts at a time, Prowler's retries",
             "par-noretry": "{n} accounts at a time, retries off"}
    for key, desc in names.items():
        r = runs.get(f"prowler-{key}")
        if not r:
            continue
        calls = r["proxy"]["total"]["requests"]
        rss = r["max_process_rss_kb"] if r["parallel"] == 1 else r["sampled_peak_total_rss_kb"]
        rss_note = "largest process" if r["parallel"] == 1 else "all processes, sampled"
        pcpu = sum(cpu(a) for a in r["per_account"])
        lines.append(
            f"| Prowler, {desc.format(n=r['parallel'])} | {r['wall_seconds']:.1f} s | **{ratio(r['wall_seconds'], v['wall_seconds'])}** "
            f"| {pcpu:.0f} s | {ratio(pcpu, vcpu)} "
            f"| {mb(rss):.0f} MB ({rss_note}) | **{ratio(rss, v['max_rss_kb'])}** | {calls} | {calls / resources:.2f} "
            f"| {ratio(calls, vcalls)} | {r['proxy']['total']['retries']} | {r['proxy']['total']['duplicates']} |")
        if r["failed_accounts"]:
            lines.append(f"|  ↳ accounts where Prowler failed: {', '.join(r['failed_accounts'])} | | | | | | | | | | | |")
    lines.append("")
    for key in ("seq", "seq-noretry"):
        r = runs.get(f"prowler-{key}")
        if r:
            lines.append(f"Prowler per account ({key}): " + ", ".join(
                f"{a['seconds']:.0f} s" for a in r["per_account"]) + ".")
            lines.append("")

    # Findings per service.
    vs = vigil_by_service(v["report"])
    pr_key = next((k for k in ("prowler-seq", "prowler-seq-noretry", "prowler-par", "prowler-par-noretry")
                   if k in runs), None)
    pr = runs.get(pr_key)
    ps = prowler_by_service(pr) if pr else None
    lines += [
        "### Findings per service (sanity check: both looked at the same resources)",
        "",
        f"| service | seeded | vigil resources | vigil fail / pass | Prowler resources ({pr_key}) | Prowler fail / pass | Prowler checks run |",
        "|---|---|---|---|---|---|---|",
    ]
    seeded = {"lambda": "functions", "apigateway": "rest_apis", "apigatewayv2": "http_apis",
              "dynamodb": "tables", "kms": "keys", "organizations": "accounts", "config": "config"}
    for s in SERVICES:
        n = m["resources_per_account"].get(seeded[s], 0) * m["accounts"]
        row = f"| {s} | {n} | {len(vs[s]['resources'])} | {vs[s]['fail']} / {vs[s]['pass']} |"
        if ps:
            row += f" {len(ps[s]['resources'])} | {ps[s]['fail']} / {ps[s]['pass']} | {len(ps[s]['checks'])} |"
        lines.append(row)
    lines.append("")

    # API calls per operation, side by side.
    lines += ["### API calls per operation (counting proxy)", "",
              f"| operation | vigil | Prowler ({pr_key}) |", "|---|---|---|"]
    pops = (pr or {}).get("proxy", {}).get("operations", {})
    vops = v["proxy"]["operations"]
    for op in sorted(set(vops) | set(pops)):
        lines.append(f"| {op} | {vops.get(op, {}).get('requests', 0)} | {pops.get(op, {}).get('requests', 0)} |")
    lines.append("")
    dups = v["proxy"]["duplicated_calls"]
    lines.append(f"vigil's repeated calls (same operation, account, region and parameters, not retries): "
                 f"{len(dups)}" + ("" if not dups else ": " + "; ".join(
                     f"{d['op']} ×{d['times']} ({d['account']}, {d['region']})" for d in dups[:20])))
    lines.append("")
    lines.append("Prowler checks left out: " + "; ".join(
        f"`{k}` ({why})" for k, why in c["prowler_excluded_checks"].items()) + ".")
    lines.append("")


def fit(xs, ys):
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0
    return my - b * mx, b


def scale_section(s, lines):
    rows = s["sizes"]
    lines += [
        f"### vigil on growing organizations ({s['mix']} resource mix, default concurrency)",
        "",
        "| accounts | resources | API calls | calls / account | wall | s / account | calls / s | vigil CPU (user+sys) | peak RSS | load before |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        n = r["scan"]["accounts"]
        lines.append(
            f"| {n} | {r['scan']['resources']} | {r['scan']['api_calls']} | {r['scan']['api_calls'] / n:.0f} "
            f"| {r['wall_seconds']:.1f} s | {r['wall_seconds'] / n:.3f} | {r['scan']['api_calls'] / r['wall_seconds']:.0f} "
            f"| {cpu(r):.1f} s | {mb(r['max_rss_kb']):.1f} MB | {r['load_before'][0]:.2f} |")
    lines.append("")
    if len(rows) >= 2:
        xs = [r["scan"]["accounts"] for r in rows]
        a, b = fit(xs, [r["wall_seconds"] for r in rows])
        ra, rb = fit(xs, [mb(r["max_rss_kb"]) for r in rows])
        covered = int((LAMBDA_BUDGET_S - a) / b) if b > 0 else 0
        lines += [
            f"Least-squares fit: wall ≈ {a:.1f} s + {b:.3f} s × accounts; peak RSS ≈ {ra:.1f} MB + "
            f"{rb * 1000:.1f} kB × accounts.",
            f"At that rate one 15-minute Lambda run covers ≈ {covered} accounts (against this emulator, "
            f"on this machine).",
            "",
        ]
        s["fit"] = {"wall_intercept_s": a, "wall_per_account_s": b, "rss_intercept_mb": ra,
                    "rss_per_account_mb": rb, "lambda_15min_accounts": covered}


def main():
    out = sys.argv[1]
    lines = [f"# benches/compare results ({os.path.basename(os.path.abspath(out))})", ""]
    cpath, spath = os.path.join(out, "compare.json"), os.path.join(out, "scale.json")
    if os.path.exists(cpath):
        with open(cpath) as fh:
            compare_section(json.load(fh), lines)
    if os.path.exists(spath):
        with open(spath) as fh:
            s = json.load(fh)
        scale_section(s, lines)
        with open(os.path.join(out, "scale-fit.json"), "w") as fh:
            json.dump(s.get("fit", {}), fh, indent=1)
    with open(os.path.join(out, "summary.md"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
