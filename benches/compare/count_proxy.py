#!/usr/bin/env python3
"""A counting HTTP proxy in front of a local AWS emulator (moto), for benchmarks.

Every request is forwarded unchanged to --upstream and the response relayed; the proxy counts
requests per service:operation and finds repeated calls: two requests with the same account,
region, service, method, path, query (signing parameters aside) and body are the same call. A
repeat that follows a 5xx/429 answer is a retry; any other repeat is a duplicate.

  GET  /__proxy/stats   JSON: total, per operation {requests, 2xx, 4xx, 5xx, retries,
                        duplicates}, and the duplicated calls (operation, account, region,
                        request target, times).
  POST /__proxy/reset   zeroes every counter (one proxy serves several runs).

Request parsing (service from the SigV4 credential scope, operation from X-Amz-Target, Action or
the REST route) is copied from tests/support/fault_proxy.py, without the fault injection.
Binds 127.0.0.1 only, prints its port as the first line of stdout, logs no request content.
Python standard library only.
"""
import argparse
import hashlib
import http.client
import json
import os
import re
import sys
import threading
import urllib.parse
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchlib import read_body  # noqa: E402  (benches/benchlib.py)

HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "trailers", "transfer-encoding", "upgrade", "content-length",
}
QUERY_SERVICES = {"sts", "iam", "sns", "sqs", "cloudformation", "ec2", "rds", "elasticloadbalancing"}
JSON_SERVICES = {"dynamodb", "kms", "organizations", "config", "logs", "events", "ssm",
                 "secretsmanager", "states", "cloudtrail", "tagging", "backup", "dax",
                 "application-autoscaling", "wafv2", "waf-regional"}
REST_SERVICES = {"lambda", "apigateway", "apigatewayv2", "account"}

# restJson1 operations by (method, path) (fault_proxy.py's table).
REST_ROUTES = {
    "lambda": [
        ("GET", r"/2015-03-31/functions/?", "ListFunctions"),
        ("GET", r"/2015-03-31/functions/[^/]+/?", "GetFunction"),
        ("GET", r"/2015-03-31/functions/[^/]+/configuration/?", "GetFunctionConfiguration"),
        ("GET", r"/2015-03-31/functions/[^/]+/policy/?", "GetPolicy"),
        ("GET", r"/2015-03-31/functions/[^/]+/versions/?", "ListVersionsByFunction"),
        ("GET", r"/2015-03-31/functions/[^/]+/aliases/?", "ListAliases"),
        ("GET", r"/2015-03-31/event-source-mappings/?", "ListEventSourceMappings"),
        ("GET", r"/2017-03-31/tags/.+", "ListTags"),
        ("GET", r"/2021-10-31/functions/[^/]+/urls/?", "ListFunctionUrlConfigs"),
        ("GET", r"/2021-10-31/functions/[^/]+/url/?", "GetFunctionUrlConfig"),
        ("GET", r"/2020-06-30/functions/[^/]+/code-signing-config/?", "GetFunctionCodeSigningConfig"),
        ("GET", r"/2019-09-30/functions/[^/]+/concurrency/?", "GetFunctionConcurrency"),
        ("GET", r"/2016-08-19/account-settings/?", "GetAccountSettings"),
        ("GET", r"/2018-10-31/layers/?", "ListLayers"),
    ],
    "apigateway": [
        ("GET", r"/restapis/?", "GetRestApis"),
        ("GET", r"/restapis/[^/]+/?", "GetRestApi"),
        ("GET", r"/restapis/[^/]+/stages/?", "GetStages"),
        ("GET", r"/restapis/[^/]+/stages/[^/]+/?", "GetStage"),
        ("GET", r"/restapis/[^/]+/resources/?", "GetResources"),
        ("GET", r"/restapis/[^/]+/resources/[^/]+/?", "GetResource"),
        ("GET", r"/restapis/[^/]+/resources/[^/]+/methods/[^/]+/?", "GetMethod"),
        ("GET", r"/restapis/[^/]+/resources/[^/]+/methods/[^/]+/integration/?", "GetIntegration"),
        ("GET", r"/restapis/[^/]+/authorizers/?", "GetAuthorizers"),
        ("GET", r"/restapis/[^/]+/deployments/?", "GetDeployments"),
        ("GET", r"/tags/.+", "GetTags"),
        ("GET", r"/account/?", "GetAccount"),
        ("GET", r"/domainnames/?", "GetDomainNames"),
    ],
    "apigatewayv2": [
        ("GET", r"/v2/apis/?", "GetApis"),
        ("GET", r"/v2/apis/[^/]+/?", "GetApi"),
        ("GET", r"/v2/apis/[^/]+/stages/?", "GetStages"),
        ("GET", r"/v2/apis/[^/]+/stages/[^/]+/?", "GetStage"),
        ("GET", r"/v2/apis/[^/]+/routes/?", "GetRoutes"),
        ("GET", r"/v2/apis/[^/]+/routes/[^/]+/?", "GetRoute"),
        ("GET", r"/v2/apis/[^/]+/authorizers/?", "GetAuthorizers"),
        ("GET", r"/v2/apis/[^/]+/integrations/?", "GetIntegrations"),
        ("GET", r"/v2/tags/.+", "GetTags"),
        ("GET", r"/v2/domainnames/?", "GetDomainNames"),
    ],
}
REST_ROUTES = {
    svc: [(m, re.compile(p + r"\Z"), op) for m, p, op in routes] for svc, routes in REST_ROUTES.items()
}
# Path segments kept when an unknown REST request is named by its normalized path.
REST_WORDS = {
    "v2", "restapis", "stages", "resources", "methods", "integration", "integrations", "authorizers",
    "deployments", "tags", "account", "domainnames", "apis", "routes", "functions", "policy",
    "versions", "aliases", "urls", "url", "code-signing-config", "concurrency",
    "event-source-mappings", "account-settings", "layers", "configuration", "models",
    "requestvalidators", "gatewayresponses", "usageplans", "apikeys", "clientcertificates",
    "vpclinks", "documentation", "responses", "provisioned-concurrency", "event-invoke-config",
}
DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")

CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
ROLE_ARN_ACCOUNT = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):role/")
SIGNING_QUERY = {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
                 "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token"}


class Request:
    def __init__(self, method, raw_path, headers, body):
        self.method, self.raw_path, self.headers, self.body = method, raw_path, headers, body
        split = urllib.parse.urlsplit(raw_path)
        self.path, self.query = split.path, split.query
        akid, region, service = None, None, None
        m = CREDENTIAL.search(headers.get("Authorization", ""))
        if not m:
            cred = urllib.parse.parse_qs(self.query).get("X-Amz-Credential", [""])[0]
            m = re.match(r"([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request", cred)
        if m:
            akid, region, service = m.group(1), m.group(2), m.group(3)
        if service == "apigateway" and self.path.startswith("/v2/"):
            service = "apigatewayv2"
        self.akid, self.region, self.service = akid, region or "us-east-1", service or "unknown"
        self.protocol = self._protocol()
        self.form = {}
        if self.protocol == "query":
            params = urllib.parse.parse_qs(self.query)
            if "x-www-form-urlencoded" in headers.get("Content-Type", ""):
                params.update(urllib.parse.parse_qs(body.decode("utf-8", "replace")))
            self.form = {k: v[0] for k, v in params.items()}
        self.operation = self._operation()

    def _protocol(self):
        if self.service in QUERY_SERVICES:
            return "query"
        if self.service in JSON_SERVICES or "X-Amz-Target" in self.headers:
            return "json"
        if self.service in REST_SERVICES:
            return "rest"
        if "x-www-form-urlencoded" in self.headers.get("Content-Type", ""):
            return "query"
        return "rest"

    def _operation(self):
        if self.protocol == "json":
            return self.headers.get("X-Amz-Target", "").rpartition(".")[2] or "Unknown"
        if self.protocol == "query":
            return self.form.get("Action", "Unknown")
        if self.service == "account":
            name = self.path.strip("/")
            return name[:1].upper() + name[1:] if name else "Unknown"
        for method, pattern, op in REST_ROUTES.get(self.service, []):
            if method == self.method and pattern.match(self.path):
                return op
        parts = [p if (p in REST_WORDS or DATE.match(p)) else "{}" for p in self.path.strip("/").split("/")]
        return f"{self.method} /" + "/".join(parts)

    @property
    def op_key(self):
        return f"{self.service}:{self.operation}"

    def call_key(self, who):
        """What makes two requests the same call (the signature, dates and tokens aside)."""
        query = "&".join(sorted(p for p in self.query.split("&") if p and p.split("=")[0] not in SIGNING_QUERY))
        body = self.body
        if self.protocol == "query":
            body = "&".join(sorted(f"{k}={v}" for k, v in self.form.items()
                                   if k not in SIGNING_QUERY)).encode()
        return hashlib.sha256("\0".join([self.service, self.region, who or "", self.method, self.path,
                                         query, self.headers.get("X-Amz-Target", "")]).encode()
                              + b"\0" + body).hexdigest()


class State:
    def __init__(self, upstream):
        self.lock = threading.Lock()
        self.upstream = urllib.parse.urlsplit(upstream)
        self.principals = {}
        self.reset()

    def reset(self):
        with self.lock:
            self.ops = {}
            self.calls = {}  # call key -> {"n", "last_status", "op", "account", "region", "target"}
            self.total = 0

    def account_of(self, akid):
        with self.lock:
            return self.principals.get(akid)

    def learn(self, akid, account):
        if akid and account:
            with self.lock:
                self.principals[akid] = account

    def record(self, req, status):
        who = self.account_of(req.akid) or req.akid
        key = req.call_key(who)
        cls = f"{status // 100}xx" if status else "5xx"
        with self.lock:
            self.total += 1
            c = self.ops.setdefault(req.op_key, {"requests": 0, "2xx": 0, "4xx": 0, "5xx": 0,
                                                 "retries": 0, "duplicates": 0})
            c["requests"] += 1
            c[cls] = c.get(cls, 0) + 1
            prev = self.calls.get(key)
            if prev is None:
                self.calls[key] = {"n": 1, "retries": 0, "last_status": status, "op": req.op_key,
                                   "account": who, "region": req.region,
                                   "target": f"{req.method} {req.path}" + (
                                       f" {req.headers.get('X-Amz-Target')}" if req.protocol == "json" else "")}
            else:
                prev["n"] += 1
                if prev["last_status"] in (None, 429) or (prev["last_status"] or 500) >= 500:
                    prev["retries"] += 1
                    c["retries"] += 1
                else:
                    c["duplicates"] += 1
                prev["last_status"] = status

    def stats(self):
        with self.lock:
            dups = [dict(v, times=v["n"]) for v in self.calls.values() if v["n"] - v["retries"] > 1]
            return {
                "total": {"requests": self.total, "distinct_calls": len(self.calls),
                          "retries": sum(c["retries"] for c in self.ops.values()),
                          "duplicates": sum(c["duplicates"] for c in self.ops.values())},
                "operations": json.loads(json.dumps(self.ops)),
                "duplicated_calls": sorted(dups, key=lambda d: (d["op"], str(d["account"]), d["region"], d["target"])),
            }


def find_text(xml_bytes, tag):
    try:
        root = ET.fromstring(xml_bytes)
    except ET.ParseError:
        return None
    for el in root.iter():
        if el.tag.rpartition("}")[2] == tag:
            return el.text
    return None


class Server(ThreadingHTTPServer):
    request_queue_size = 256
    daemon_threads = True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "vigil-count-proxy"

    def log_message(self, fmt, *args):
        pass

    def do_any(self):
        state = self.server.state
        body = read_body(self)
        if self.path == "/__proxy/stats":
            return self._send(200, {"Content-Type": "application/json"}, json.dumps(state.stats()).encode())
        if self.path == "/__proxy/reset":
            state.reset()
            return self._send(200, {"Content-Type": "application/json"}, b"{}")
        req = Request(self.command, self.path, self.headers, body)
        try:
            status, reason, headers, rbody = self._forward(state, req)
        except (OSError, http.client.HTTPException) as e:
            print(f"count_proxy: upstream failed for {req.op_key}: {type(e).__name__}", file=sys.stderr)
            state.record(req, None)
            return self._send(502, {"Content-Type": "text/plain"}, b"upstream unavailable")
        self._watch(req, status, rbody)
        state.record(req, status)
        self._send(status, headers, rbody, reason)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_any

    def _forward(self, state, req):
        up = state.upstream
        conn = http.client.HTTPConnection(up.hostname, up.port or 80, timeout=120)
        try:
            conn.putrequest(req.method, req.raw_path, skip_host=True, skip_accept_encoding=True)
            for k, v in self.headers.items():
                if k.lower() not in HOP_BY_HOP:
                    conn.putheader(k, v)
            conn.putheader("Content-Length", str(len(req.body)))
            conn.endheaders(req.body)
            resp = conn.getresponse()
            rbody = resp.read()
            headers = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP]
            return resp.status, resp.reason, headers, rbody
        finally:
            conn.close()

    def _watch(self, req, status, rbody):
        """Learns which account each access key belongs to (calls are compared per account)."""
        if req.service != "sts" or status != 200:
            return
        if req.operation == "GetCallerIdentity":
            self.server.state.learn(req.akid, find_text(rbody, "Account"))
        elif req.operation == "AssumeRole":
            m = ROLE_ARN_ACCOUNT.match(req.form.get("RoleArn", ""))
            akid = find_text(rbody, "AccessKeyId")
            if m and akid:
                self.server.state.learn(akid, m.group(1))

    def _send(self, status, headers, body, reason=None):
        self.send_response(status, reason)
        items = headers.items() if isinstance(headers, dict) else headers
        for k, v in items:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    if urllib.parse.urlsplit(args.upstream).hostname not in ("127.0.0.1", "localhost"):
        ap.error("--upstream must be on 127.0.0.1")
    server = Server(("127.0.0.1", args.port), Handler)
    server.state = State(args.upstream)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
