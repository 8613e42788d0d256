#!/usr/bin/env python3
"""HTML report benchmark (issue 16): file size and the time headless Chromium takes to render
`--format html` for the demo organization and for a generated ~2,000-account one, reported as
ratios against the demo measured in the same run.

Run by benches/html/run.sh; by hand:

  python3 benches/html/bench.py --vigil target/release/vigil --out DIR [--reps 7] [--accounts 2000]

Set-up: benches/html/gen_snapshot.py writes the large snapshot (the demo's accounts copied with
distinct ids, some suspended or denied); `vigil evaluate --format html` (and `--format json`
for the counts) renders both reports.

A blank page is measured too, in the same rounds: the floor every page pays here (a fresh
browser's first navigation), subtracted in a second table.

Each round, for each page in alternation: a fresh Chromium (`--headless`, its own empty
profile, no network) with the page as its first URL, driven over the DevTools protocol on a
pipe (`--remote-debugging-pipe`: stdlib only, no port). Once the page has loaded and two
animation frames have passed, the page's own clocks are read (milliseconds from the start of
navigation): `dcl` (DOMContentLoaded ended: HTML parsed, inline script run, first table page
built), `load` (load event ended), `frame` (the second animation frame after load: laid out
and painted); then one interaction: `filter` (status "all"
chosen: every finding filtered and the first page rebuilt, up to the next frame). Medians
over the rounds; ratios big / demo of the medians.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "benches"))
from benchlib import logger  # noqa: E402

log = logger("html/bench.py")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--window-size=1280,1800"]

# Runs in the page once it has loaded: the navigation's timings, then one filter change.
MEASURE = """(async () => {
  if (document.readyState !== "complete") await new Promise(r => addEventListener("load", r));
  const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  await frame();
  const nav = performance.getEntriesByType("navigation")[0];
  const out = {dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, frame: performance.now(),
               dom_nodes: document.getElementsByTagName("*").length,
               rows: document.querySelectorAll("#rows tr").length,
               matches: Number((document.getElementById("match-count") || {}).textContent)};
  const status = document.getElementById("f-status");
  if (!status) return out;  // the blank page: timings only
  const t0 = performance.now();
  status.value = "all";
  status.dispatchEvent(new Event("input", {bubbles: true}));
  await frame();
  out.filter = performance.now() - t0;
  out.matches_all = Number(document.getElementById("match-count").textContent);
  return out;
})()"""


class Browser:
    """A headless Chromium on `url`, driven over the DevTools pipe (fd 3 in, fd 4 out)."""

    def __init__(self, chromium, url):
        self.profile = tempfile.mkdtemp(prefix="vigil-html-bench-")
        cmd_r, self.cmd_w = os.pipe()
        self.res_r, res_w = os.pipe()

        def fds():
            a, b = os.dup(cmd_r), os.dup(res_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [chromium, *FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-pipe", url],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=fds, pass_fds=(3, 4))
        os.close(cmd_r)
        os.close(res_w)
        self.buf = b""
        self.next_id = 0

    def call(self, method, params=None, session=None, timeout=120):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.cmd_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self.buf:
                raw, self.buf = self.buf.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self.next_id:
                    if "error" in reply:
                        raise RuntimeError(f"{method}: {reply['error']}")
                    return reply["result"]
            if time.monotonic() > deadline:
                raise TimeoutError(method)
            chunk = os.read(self.res_r, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self.buf += chunk

    def measure(self):
        for _ in range(100):
            pages = [t for t in self.call("Target.getTargets")["targetInfos"] if t["type"] == "page"]
            if pages:
                break
            time.sleep(0.05)
        session = self.call("Target.attachToTarget", {"targetId": pages[0]["targetId"], "flatten": True})["sessionId"]
        # The first page starts as about:blank: wait until the report's document has loaded.
        for _ in range(1200):
            try:
                r = self.call("Runtime.evaluate", {"expression": "location.protocol + ' ' + document.readyState",
                                                   "returnByValue": True}, session=session)
                if r["result"].get("value") == "file: complete":
                    break
            except RuntimeError:
                pass  # the context changed under the call
            time.sleep(0.05)
        r = self.call("Runtime.evaluate", {"expression": MEASURE, "awaitPromise": True, "returnByValue": True},
                      session=session)
        if "exceptionDetails" in r:
            raise RuntimeError(r["exceptionDetails"])
        return r["result"]["value"]

    def close(self):
        try:
            self.call("Browser.close", timeout=10)
        except Exception:  # noqa: BLE001 (closing anyway)
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.cmd_w)
        os.close(self.res_r)
        shutil.rmtree(self.profile, ignore_errors=True)


def render(vigil, snapshot, fmt, out):
    with open(out, "w") as fh:
        p = subprocess.run([vigil, "evaluate", snapshot, "--format", fmt], stdout=fh, stderr=subprocess.PIPE)
    if p.returncode not in (0, 1, 3):
        raise SystemExit(f"vigil evaluate {snapshot} --format {fmt}: exit {p.returncode}\n{p.stderr.decode()}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vigil", required=True)
    ap.add_argument("--chromium", default=os.environ.get("VIGIL_CHROMIUM", "/usr/bin/chromium"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--accounts", type=int, default=2000)
    ap.add_argument("--env-line", action="append", default=[])
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)

    big_snapshot = os.path.join(a.out, "org-snapshot.json")
    log(f"generating a {a.accounts}-account snapshot")
    gen = subprocess.run([sys.executable, os.path.join(HERE, "gen_snapshot.py"), "--accounts", str(a.accounts),
                          "--out", big_snapshot], capture_output=True, text=True, check=True)
    log(gen.stdout.strip())
    pages = {}
    for name, snap in [("demo", os.path.join(ROOT, "fixtures/snapshots/demo-org.json")), ("org", big_snapshot)]:
        html, js = os.path.join(a.out, f"{name}.html"), os.path.join(a.out, f"{name}.json")
        log(f"vigil evaluate {name} (html, json)")
        render(a.vigil, snap, "html", html)
        render(a.vigil, snap, "json", js)
        with open(js) as fh:
            report = json.load(fh)
        pages[name] = {"html": html, "bytes": os.path.getsize(html), "accounts": report["scan"]["accounts"],
                       "findings": len(report["findings"]), "fail": report["summary"]["fail"], "runs": []}
        os.remove(js)
    os.remove(big_snapshot)
    # The floor: what any page costs here (a browser's first navigation, one paragraph).
    blank = os.path.join(a.out, "blank.html")
    with open(blank, "w") as fh:
        fh.write("<!DOCTYPE html><html lang=en><meta charset=utf-8><title>blank</title><p>blank</p></html>\n")
    pages = {"blank": {"html": blank, "bytes": os.path.getsize(blank), "runs": []}, **pages}

    for rep in range(a.reps):
        for name, p in pages.items():
            b = Browser(a.chromium, "file://" + os.path.abspath(p["html"]))
            try:
                m = b.measure()
            finally:
                b.close()
            if name != "blank" and (m["matches"] != p["fail"] or m["matches_all"] != p["findings"]):
                raise SystemExit(f"{name}: the page shows {m['matches']} / {m['matches_all']} findings, "
                                 f"the JSON report {p['fail']} / {p['findings']}")
            p["runs"].append(m)
            log(f"round {rep + 1}/{a.reps} {name}: load {m['load']:.0f} ms, frame {m['frame']:.0f} ms, "
                f"filter {m.get('filter', 0):.0f} ms")

    keys = ["dcl", "load", "frame", "filter"]
    for p in pages.values():
        p["median"] = {k: statistics.median(r[k] for r in p["runs"]) for k in keys if k in p["runs"][0]}
        p["dom_nodes"] = p["runs"][0]["dom_nodes"]
    d, o, z = pages["demo"], pages["org"], pages["blank"]
    lines = ["# HTML report benchmark", "", *[f"- {e}" for e in a.env_line],
             f"- {a.reps} rounds, a fresh headless Chromium per page and round; medians (ms from navigation start)",
             "", "| | demo | org | org / demo |", "|---|---|---|---|",
             f"| accounts | {d['accounts']} | {o['accounts']} | {o['accounts'] / d['accounts']:.0f}× |",
             f"| findings | {d['findings']} | {o['findings']} | {o['findings'] / d['findings']:.0f}× |",
             f"| file size | {d['bytes'] / 1024:.0f} KiB | {o['bytes'] / 1048576:.1f} MiB | {o['bytes'] / d['bytes']:.0f}× |",
             f"| DOM elements after load | {d['dom_nodes']} | {o['dom_nodes']} | {o['dom_nodes'] / d['dom_nodes']:.1f}× |"]
    names = {"dcl": "DOMContentLoaded (parsed + script)", "load": "load event end",
             "frame": "first frames after load (rendered)", "filter": "filter → all findings, next frame"}
    for k in keys:
        lines.append(f"| {names[k]} | {d['median'][k]:.0f} ms | {o['median'][k]:.0f} ms | "
                     f"{o['median'][k] / d['median'][k]:.1f}× |")
    lines += ["", "Above what any page costs here (a blank page, same rounds: "
              + ", ".join(f"{names[k].split(' (')[0]} {z['median'][k]:.0f} ms" for k in ["dcl", "load", "frame"]) + "):",
              "", "| | demo − blank | org − blank | org / demo |", "|---|---|---|---|"]
    for k in ["dcl", "load", "frame"]:
        dd, oo = d["median"][k] - z["median"][k], o["median"][k] - z["median"][k]
        lines.append(f"| {names[k]} | {dd:.0f} ms | {oo:.0f} ms | {oo / dd:.1f}× |" if dd > 0 else
                     f"| {names[k]} | {dd:.0f} ms | {oo:.0f} ms | n/a |")
    summary = "\n".join(lines) + "\n"
    with open(os.path.join(a.out, "summary.md"), "w") as fh:
        fh.write(summary)
    with open(os.path.join(a.out, "results.json"), "w") as fh:
        json.dump({k: {kk: vv for kk, vv in v.items() if kk != "html"} for k, v in pages.items()}, fh, indent=1)
    print(summary)


if __name__ == "__main__":
    main()
