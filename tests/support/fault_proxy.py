#!/usr/bin/env python3
"""A fault-injecting HTTP proxy in front of a local AWS emulator (moto), for tests.

Every request is forwarded unchanged (method, path, query, headers, body) to --upstream and the
response relayed, except that the proxy can:

  --throttle-rate R --seed N   answer a fraction R of requests with the throttling error the
                               service really returns, in that service's protocol (awsJson,
                               restJson, awsQuery XML). The decision for a request is a hash of
                               the seed, the request's content and how many identical requests
                               came before it, so a run's throttling pattern does not depend on
                               the order in which concurrent requests arrive.
  --deny-assume-role ACCOUNT   answer sts:AssumeRole of a role in ACCOUNT with STS AccessDenied
                               (repeatable).
  --deny SERVICE:OP[:ACCOUNT]  answer SERVICE:OP with the service's AccessDenied error, only for
                               requests signed with credentials of ACCOUNT when given
                               (repeatable). Credentials are mapped to accounts by watching the
                               GetCallerIdentity and AssumeRole responses that pass through.
  --recorded DIR               answer SERVICE:OP from DIR/<service>/<Operation>.json when that
                               file exists, without forwarding (operations the emulator lacks).
                               A file with "variants" answers only the requests one of them
                               matches (path regex, query values, signing region) and
                               forwards the rest.

GET /__proxy/stats returns JSON counts per service:operation. The proxy binds 127.0.0.1 only,
prints the port it listens on as the first line of stdout, and logs no request content
(no headers, bodies or credentials).

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
import uuid
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "trailers", "transfer-encoding", "upgrade", "content-length",
}

# Services by wire protocol (the signing name of the SigV4 credential scope; API Gateway v2 signs
# as "apigateway" and is told apart by its /v2/ paths).
QUERY_SERVICES = {"sts", "iam", "sns", "sqs", "cloudformation", "ec2", "rds", "elasticloadbalancing"}
JSON_SERVICES = {"dynamodb", "kms", "organizations", "config", "logs", "events", "ssm",
                 "secretsmanager", "states", "cloudtrail", "tagging"}
REST_SERVICES = {"lambda", "apigateway", "apigatewayv2", "account", "backup", "securityhub"}

# The throttling error each service returns (its model's throttling shape where it has one,
# else the error code the service is documented to send): (status, headers, body).
JSON_CT = {"dynamodb": "application/x-amz-json-1.0"}
THROTTLE_JSON = {
    # DynamoDB's control plane answers with the Coral availability error.
    "dynamodb": {"__type": "com.amazon.coral.availability#ThrottlingException",
                 "message": "Rate exceeded"},
    "kms": {"__type": "ThrottlingException",
            "message": "You have exceeded the rate at which you may call KMS. "
                       "Reduce the frequency of your calls."},
    # Organizations models TooManyRequestsException (members Type, Message).
    "organizations": {"__type": "TooManyRequestsException",
                      "Message": "You have sent too many requests in too short a period of time. "
                                 "The quota helps protect against denial-of-service attacks. "
                                 "Try again later."},
    "config": {"__type": "ThrottlingException", "message": "Rate exceeded"},
}
THROTTLE_REST = {
    # restJson1 services: 429 with x-amzn-ErrorType, as modelled (TooManyRequestsException).
    "lambda": {"Reason": "CallerRateLimitExceeded", "Type": "User", "message": "Rate exceeded"},
    "apigateway": {"message": "Too Many Requests"},
    "apigatewayv2": {"message": "Too Many Requests"},
    # Security Hub's throttling error is LimitExceededException (429), as modelled.
    "securityhub": {"Code": "LimitExceededException", "Message": "Rate exceeded"},
    "account": {"message": "Rate exceeded"},
    # AWS Backup models no throttling shape: a 429 with the generic code.
    "backup": {"Code": "ThrottlingException", "Message": "Rate exceeded"},
}
# The key of the message member in each service's AccessDeniedException.
DENIED_MESSAGE_KEY = {"organizations": "Message", "lambda": "Message", "apigateway": "Message",
                      "apigatewayv2": "Message", "backup": "Message", "securityhub": "Message"}

# restJson1 operations by (method, path): what vigil and the seeders call.
REST_ROUTES = {
    "lambda": [
        ("GET", r"/2015-03-31/functions/?", "ListFunctions"),
        ("POST", r"/2015-03-31/functions/?", "CreateFunction"),
        ("GET", r"/2015-03-31/functions/[^/]+/?", "GetFunction"),
        ("DELETE", r"/2015-03-31/functions/[^/]+/?", "DeleteFunction"),
        ("GET", r"/2015-03-31/functions/[^/]+/configuration/?", "GetFunctionConfiguration"),
        ("GET", r"/2015-03-31/functions/[^/]+/policy/?", "GetPolicy"),
        ("POST", r"/2015-03-31/functions/[^/]+/policy/?", "AddPermission"),
        ("GET", r"/2015-03-31/functions/[^/]+/versions/?", "ListVersionsByFunction"),
        ("GET", r"/2015-03-31/functions/[^/]+/aliases/?", "ListAliases"),
        ("GET", r"/2015-03-31/event-source-mappings/?", "ListEventSourceMappings"),
        ("GET", r"/2017-03-31/tags/.+", "ListTags"),
        ("POST", r"/2017-03-31/tags/.+", "TagResource"),
        ("GET", r"/2021-10-31/functions/[^/]+/urls/?", "ListFunctionUrlConfigs"),
        ("GET", r"/2021-10-31/functions/[^/]+/url/?", "GetFunctionUrlConfig"),
        ("POST", r"/2021-10-31/functions/[^/]+/url/?", "CreateFunctionUrlConfig"),
        ("GET", r"/2020-06-30/functions/[^/]+/code-signing-config/?", "GetFunctionCodeSigningConfig"),
        ("GET", r"/2019-09-30/functions/[^/]+/concurrency/?", "GetFunctionConcurrency"),
        ("GET", r"/2016-08-19/account-settings/?", "GetAccountSettings"),
        ("GET", r"/2018-10-31/layers/?", "ListLayers"),
        ("GET", r"/2018-10-31/layers/[^/]+/versions/?", "ListLayerVersions"),
        ("POST", r"/2018-10-31/layers/[^/]+/versions/?", "PublishLayerVersion"),
        ("GET", r"/2018-10-31/layers/[^/]+/versions/\d+/policy/?", "GetLayerVersionPolicy"),
        ("POST", r"/2018-10-31/layers/[^/]+/versions/\d+/policy/?", "AddLayerVersionPermission"),
        ("GET", r"/2019-09-25/functions/[^/]+/event-invoke-config/list/?", "ListFunctionEventInvokeConfigs"),
        ("PUT", r"/2019-09-25/functions/[^/]+/event-invoke-config/?", "PutFunctionEventInvokeConfig"),
        ("GET", r"/2020-04-22/code-signing-configs/[^/]+/?", "GetCodeSigningConfig"),
    ],
    "apigateway": [
        ("GET", r"/restapis/?", "GetRestApis"),
        ("POST", r"/restapis/?", "CreateRestApi"),
        ("GET", r"/restapis/[^/]+/?", "GetRestApi"),
        ("PATCH", r"/restapis/[^/]+/?", "UpdateRestApi"),
        ("GET", r"/restapis/[^/]+/stages/?", "GetStages"),
        ("POST", r"/restapis/[^/]+/stages/?", "CreateStage"),
        ("GET", r"/restapis/[^/]+/stages/[^/]+/?", "GetStage"),
        ("PATCH", r"/restapis/[^/]+/stages/[^/]+/?", "UpdateStage"),
        ("GET", r"/restapis/[^/]+/resources/?", "GetResources"),
        ("GET", r"/restapis/[^/]+/resources/[^/]+/?", "GetResource"),
        ("POST", r"/restapis/[^/]+/resources/[^/]+/?", "CreateResource"),
        ("GET", r"/restapis/[^/]+/resources/[^/]+/methods/[^/]+/?", "GetMethod"),
        ("PUT", r"/restapis/[^/]+/resources/[^/]+/methods/[^/]+/?", "PutMethod"),
        ("GET", r"/restapis/[^/]+/resources/[^/]+/methods/[^/]+/integration/?", "GetIntegration"),
        ("PUT", r"/restapis/[^/]+/resources/[^/]+/methods/[^/]+/integration/?", "PutIntegration"),
        ("GET", r"/restapis/[^/]+/authorizers/?", "GetAuthorizers"),
        ("POST", r"/restapis/[^/]+/authorizers/?", "CreateAuthorizer"),
        ("GET", r"/restapis/[^/]+/deployments/?", "GetDeployments"),
        ("POST", r"/restapis/[^/]+/deployments/?", "CreateDeployment"),
        ("GET", r"/tags/.+", "GetTags"),
        ("PUT", r"/tags/.+", "TagResource"),
        ("GET", r"/account/?", "GetAccount"),
        ("GET", r"/domainnames/?", "GetDomainNames"),
    ],
    "apigatewayv2": [
        ("GET", r"/v2/apis/?", "GetApis"),
        ("POST", r"/v2/apis/?", "CreateApi"),
        ("GET", r"/v2/apis/[^/]+/?", "GetApi"),
        ("GET", r"/v2/apis/[^/]+/stages/?", "GetStages"),
        ("POST", r"/v2/apis/[^/]+/stages/?", "CreateStage"),
        ("GET", r"/v2/apis/[^/]+/stages/[^/]+/?", "GetStage"),
        ("GET", r"/v2/apis/[^/]+/routes/?", "GetRoutes"),
        ("POST", r"/v2/apis/[^/]+/routes/?", "CreateRoute"),
        ("GET", r"/v2/apis/[^/]+/routes/[^/]+/?", "GetRoute"),
        ("GET", r"/v2/apis/[^/]+/authorizers/?", "GetAuthorizers"),
        ("POST", r"/v2/apis/[^/]+/authorizers/?", "CreateAuthorizer"),
        ("GET", r"/v2/apis/[^/]+/integrations/?", "GetIntegrations"),
        ("POST", r"/v2/apis/[^/]+/integrations/?", "CreateIntegration"),
        ("GET", r"/v2/tags/.+", "GetTags"),
        ("POST", r"/v2/tags/.+", "TagResource"),
        ("GET", r"/v2/domainnames/?", "GetDomainNames"),
    ],
    "backup": [
        ("GET", r"/backup/plans/?", "ListBackupPlans"),
        ("PUT", r"/backup/plans/?", "CreateBackupPlan"),
        ("GET", r"/backup/plans/[^/]+/selections/?", "ListBackupSelections"),
        ("PUT", r"/backup/plans/[^/]+/selections/?", "CreateBackupSelection"),
        ("GET", r"/backup/plans/[^/]+/selections/[^/]+/?", "GetBackupSelection"),
        ("GET", r"/backup/plans/[^/]+/?", "GetBackupPlan"),
    ],
    "securityhub": [
        ("GET", r"/accounts/?", "DescribeHub"),
        ("POST", r"/accounts/?", "EnableSecurityHub"),
        ("POST", r"/findings/?", "GetFindings"),
        ("POST", r"/findings/import/?", "BatchImportFindings"),
    ],
}
REST_ROUTES = {
    svc: [(m, re.compile(p + r"\Z"), op) for m, p, op in routes] for svc, routes in REST_ROUTES.items()
}

CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
ROLE_ARN_ACCOUNT = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):role/")


class Request:
    """What the proxy needs to know about one request."""

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
            # The Account API is POST /<operationName>.
            name = self.path.strip("/")
            return name[:1].upper() + name[1:] if name else "Unknown"
        for method, pattern, op in REST_ROUTES.get(self.service, []):
            if method == self.method and pattern.match(self.path):
                return op
        return f"{self.method} {self.path}"

    @property
    def op_key(self):
        return f"{self.service}:{self.operation}"


class State:
    """Counters, credential-to-account map and fault configuration, shared by all threads."""

    def __init__(self, args):
        self.lock = threading.Lock()
        self.upstream = urllib.parse.urlsplit(args.upstream)
        self.rate = args.throttle_rate
        self.seed = args.seed
        self.deny_assume = set(args.deny_assume_role)
        self.deny = []
        for spec in args.deny:
            parts = spec.split(":")
            if len(parts) not in (2, 3) or not all(parts):
                raise SystemExit(f"--deny {spec!r}: expected SERVICE:OPERATION[:ACCOUNT]")
            self.deny.append((parts[0], parts[1], parts[2] if len(parts) == 3 else None))
        self.recorded = load_recorded(args.recorded) if args.recorded else {}
        self.seen = {}  # request fingerprint -> times seen
        self.principals = {}  # access key id -> (account id, principal arn)
        self.ops = {}  # "service:operation" -> counters
        self.denials = []

    def count(self, req, what, account=None):
        with self.lock:
            c = self.ops.setdefault(req.op_key, {"requests": 0, "forwarded": 0, "throttled": 0,
                                                 "denied": 0, "recorded": 0})
            c["requests"] += 1
            c[what] += 1
            if what == "denied":
                self.denials.append({"service": req.service, "operation": req.operation,
                                     "account": account, "region": req.region})

    def account_of(self, akid):
        with self.lock:
            return self.principals.get(akid, (None, None))[0]

    def principal_arn(self, akid):
        with self.lock:
            account, arn = self.principals.get(akid, (None, None))
        return arn or (f"arn:aws:iam::{account}:root" if account else "an unidentified principal")

    def learn(self, akid, account, arn):
        if akid and account:
            with self.lock:
                self.principals[akid] = (account, arn)

    def throttle(self, req):
        """Deterministic for a given seed: the n-th occurrence of the same request (same
        account, region, operation and content) is throttled or not, whatever the arrival order."""
        if self.rate <= 0:
            return False
        who = self.account_of(req.akid) or req.akid or ""
        fingerprint = hashlib.sha256(
            "\0".join([req.service, req.region, who, req.method, req.path, req.query,
                       req.headers.get("X-Amz-Target", "")]).encode() + b"\0" + req.body
        ).hexdigest()
        with self.lock:
            n = self.seen.get(fingerprint, 0)
            self.seen[fingerprint] = n + 1
        draw = hashlib.sha256(f"{self.seed}:{fingerprint}:{n}".encode()).digest()
        return int.from_bytes(draw[:8], "big") / 2.0**64 < self.rate

    def stats(self):
        with self.lock:
            total = {k: sum(c[k] for c in self.ops.values())
                     for k in ("requests", "forwarded", "throttled", "denied", "recorded")}
            return {"total": total, "operations": json.loads(json.dumps(self.ops)),
                    "denials": list(self.denials)}


def load_recorded(directory):
    """{"service:Operation": recorded response} from DIR/<service>/<Operation>.json."""
    out = {}
    for service in sorted(os.listdir(directory)):
        sdir = os.path.join(directory, service)
        if not os.path.isdir(sdir):
            continue
        for name in sorted(os.listdir(sdir)):
            if name.endswith(".json"):
                with open(os.path.join(sdir, name)) as fh:
                    out[f"{service}:{name[:-5]}"] = json.load(fh)
    return out


def request_id():
    return str(uuid.uuid4())


def xml_error(status, code, message):
    body = ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{xml_escape(message)}</Message></Error>"
            f"<RequestId>{request_id()}</RequestId></ErrorResponse>")
    return status, {"Content-Type": "text/xml"}, body.encode()


def xml_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def json_error(req, status, body, code_header=None):
    headers = {"Content-Type": JSON_CT.get(req.service, "application/x-amz-json-1.1"),
               "x-amzn-RequestId": request_id()}
    if code_header:
        headers["Content-Type"] = "application/json"
        headers["x-amzn-ErrorType"] = code_header
    return status, headers, json.dumps(body).encode()


def throttling_response(req):
    if req.protocol == "query":
        return xml_error(400, "Throttling", "Rate exceeded")
    if req.protocol == "json":
        body = THROTTLE_JSON.get(req.service, {"__type": "ThrottlingException", "message": "Rate exceeded"})
        return json_error(req, 400, body)
    body = THROTTLE_REST.get(req.service, {"message": "Rate exceeded"})
    code = "LimitExceededException" if req.service == "securityhub" else "TooManyRequestsException"
    return json_error(req, 429, body, code_header=code)


def access_denied_response(req, state, resource="*"):
    action_service = "apigateway" if req.service == "apigatewayv2" else req.service
    action = f"{action_service}:{req.operation}"
    if req.service in ("apigateway", "apigatewayv2"):
        # API Gateway's IAM actions are HTTP verbs on resource paths.
        action = f"apigateway:{req.method}"
        resource = f"arn:aws:apigateway:{req.region}::{req.path}"
    message = (f"User: {state.principal_arn(req.akid)} is not authorized to perform: {action} "
               f"on resource: {resource} because no identity-based policy allows the {action} action")
    if req.protocol == "query":
        return xml_error(403, "AccessDenied", message)
    key = DENIED_MESSAGE_KEY.get(req.service, "message")
    if req.protocol == "json":
        code = ("com.amazon.coral.service#AccessDeniedException" if req.service == "dynamodb"
                else "AccessDeniedException")
        return json_error(req, 400, {"__type": code, key: message})
    return json_error(req, 403, {key: message}, code_header="AccessDeniedException")


def matching_recording(recorded, req):
    """The recording that answers `req`: the file itself, or, when it holds "variants", the
    first variant whose "match" fits the request (a regular expression on the path, exact
    query values, null meaning the parameter is absent, and the region the request is signed
    for); None forwards the request."""
    if recorded is None or "variants" not in recorded:
        return recorded
    query = urllib.parse.parse_qs(req.query)
    for variant in recorded["variants"]:
        match = variant.get("match", {})
        if "path" in match and not re.fullmatch(match["path"], req.path):
            continue
        if "region" in match and match["region"] != req.region:
            continue
        if all(query.get(k, [None])[0] == v for k, v in match.get("query", {}).items()):
            return variant
    return None


def recorded_response(req, recorded):
    """A recorded response; list operations honour the request's filter and paging members
    as described by the recording's optional "list" section."""
    body = recorded["body"]
    spec = recorded.get("list")
    if spec and isinstance(body, dict):
        try:
            params = json.loads(req.body or b"{}")
        except ValueError:
            params = {}
        items = list(body.get(spec["items"], []))
        for request_member, item_member in spec.get("filters", {}).items():
            wanted = params.get(request_member)
            if wanted:
                items = [i for i in items if i.get(item_member) in wanted]
        token = params.get(spec.get("nextToken", "NextToken")) or "0"
        if not str(token).isdigit():
            return json_error(req, 400, {"message": "The NextToken is not valid."},
                              code_header="ValidationException")
        start = int(token)
        size = params.get(spec.get("maxResults", "MaxResults")) or len(items) or 1
        page = items[start:start + size]
        body = {k: v for k, v in body.items() if k not in (spec["items"], spec.get("nextToken", "NextToken"))}
        body[spec["items"]] = page
        if start + size < len(items):
            body[spec.get("nextToken", "NextToken")] = str(start + size)
    headers = dict(recorded.get("headers", {}))
    headers.setdefault("Content-Type", "application/json")
    headers["x-amzn-RequestId"] = request_id()
    payload = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    return recorded.get("status", 200), headers, payload


def find_text(xml_bytes, tag):
    """Text of the first element named `tag` (any namespace) in an XML document, or None."""
    try:
        root = ET.fromstring(xml_bytes)
    except ET.ParseError:
        return None
    for el in root.iter():
        if el.tag.rpartition("}")[2] == tag:
            return el.text
    return None


class Server(ThreadingHTTPServer):
    # A scan opens many connections at once; the default backlog of 5 drops SYNs.
    request_queue_size = 128
    daemon_threads = True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "vigil-fault-proxy"

    def log_message(self, fmt, *args):
        # Request lines carry resource names and presigned credentials: log nothing.
        pass

    def do_any(self):
        state = self.server.state
        body = self._read_body()
        if self.path == "/__proxy/stats":
            return self._send(200, {"Content-Type": "application/json"}, json.dumps(state.stats()).encode())
        req = Request(self.command, self.path, self.headers, body)

        if state.throttle(req):
            state.count(req, "throttled")
            return self._send(*throttling_response(req))

        if req.service == "sts" and req.operation == "AssumeRole":
            m = ROLE_ARN_ACCOUNT.match(req.form.get("RoleArn", ""))
            target = m.group(1) if m else None
            if target in state.deny_assume:
                state.count(req, "denied", target)
                return self._send(*access_denied_response(req, state, req.form.get("RoleArn")))

        account = state.account_of(req.akid)
        for service, operation, only in state.deny:
            if service == req.service and operation == req.operation and only in (None, account):
                state.count(req, "denied", account)
                return self._send(*access_denied_response(req, state))

        recorded = matching_recording(state.recorded.get(req.op_key), req)
        if recorded is not None:
            state.count(req, "recorded")
            return self._send(*recorded_response(req, recorded))

        try:
            status, reason, headers, rbody = self._forward(state, req)
        except (OSError, http.client.HTTPException) as e:
            print(f"fault_proxy: upstream failed for {req.op_key}: {type(e).__name__}", file=sys.stderr)
            state.count(req, "forwarded")
            return self._send(502, {"Content-Type": "text/plain"}, b"upstream unavailable")
        state.count(req, "forwarded")
        self._watch(req, status, rbody)
        self._send(status, headers, rbody, reason)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_any

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

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
        """Learns which account (and principal) each access key belongs to."""
        if req.service != "sts" or status != 200:
            return
        if req.operation == "GetCallerIdentity":
            state = self.server.state
            state.learn(req.akid, find_text(rbody, "Account"), find_text(rbody, "Arn"))
        elif req.operation == "AssumeRole":
            m = ROLE_ARN_ACCOUNT.match(req.form.get("RoleArn", ""))
            akid = find_text(rbody, "AccessKeyId")
            if m and akid:
                self.server.state.learn(akid, m.group(1), find_text(rbody, "Arn"))

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
    ap.add_argument("--upstream", required=True, help="the emulator's URL, e.g. http://127.0.0.1:5000")
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = any free port)")
    ap.add_argument("--throttle-rate", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--deny-assume-role", action="append", default=[], metavar="ACCOUNT_ID")
    ap.add_argument("--deny", action="append", default=[], metavar="SERVICE:OPERATION[:ACCOUNT]")
    ap.add_argument("--recorded", metavar="DIR")
    args = ap.parse_args()
    if not 0.0 <= args.throttle_rate <= 1.0:
        ap.error("--throttle-rate must be in [0, 1]")
    if urllib.parse.urlsplit(args.upstream).hostname not in ("127.0.0.1", "localhost"):
        ap.error("--upstream must be on 127.0.0.1")
    server = Server(("127.0.0.1", args.port), Handler)
    server.state = State(args)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
