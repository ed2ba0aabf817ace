#!/usr/bin/env python3
"""A small read-only registry for tests of what docker-registry cannot do here:
the bearer-token flow, flaky answers and hostile answers. Serves the images of
an OCI layout (pull only).
Usage: fakeregistry.py LAYOUT PORTFILE MODE
  MODE: bearer   /v2/ answers 401 Bearer realm=/token; /token wants basic user:pass
        flaky    every blob and manifest GET fails once with 503, then works
        baddigest  manifests come with a wrong Docker-Content-Digest
        huge     manifests are 5 MiB of JSON
        badjson  manifests are not JSON
        trickle  manifests come at 2 bytes a second, forever
        flood    manifests come at 8 KiB a second, forever (never too slow)
        errflood manifest GETs answer 404 with an endless body
        overflow blobs come with more bytes than their size, without Content-Length
        bigdecl  manifests declare their first layer 2^50 bytes long
        retryafter  the first manifest GET gets 429 with Retry-After: 2 and Docker
                 Hub's rate-limit headers; a retry sooner than that gets 400
        ratelimited  manifest GETs always get 429 with Retry-After: 3600
The port it listens on (127.0.0.1) is written to PORTFILE."""
import base64
import http.server
import json
import os
import sys
import time

LAYOUT, PORTFILE, MODE = sys.argv[1], sys.argv[2], sys.argv[3]
TOKEN = "t0k-123"
seen = set()
first_429 = {}
HUB_LIMIT = [("RateLimit-Limit", "100;w=21600"), ("RateLimit-Remaining", "0;w=21600")]


def index():
    with open(os.path.join(LAYOUT, "index.json")) as f:
        return json.load(f)


class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def send(self, code, body=b"", ctype="application/json", headers=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def authed(self):
        if MODE != "bearer":
            return True
        if self.headers.get("Authorization") == "Bearer " + TOKEN:
            return True
        host = "127.0.0.1:%d" % self.server.server_port
        self.send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}', headers=[(
            "WWW-Authenticate",
            'Bearer realm="http://%s/token",service="fake",scope="repository:x:pull"' % host)])
        return False

    def do_GET(self):
        p = self.path.split("?")[0]
        if p == "/token":
            want = "Basic " + base64.b64encode(b"user:pass").decode()
            if self.headers.get("Authorization") != want:
                return self.send(401, b"{}")
            return self.send(200, json.dumps({"token": TOKEN}).encode())
        if not self.authed():
            return
        if p == "/v2/":
            return self.send(200, b"{}")
        parts = p.split("/")
        if MODE == "flaky" and self.path not in seen:
            seen.add(self.path)
            return self.send(503, b"{}")
        if len(parts) >= 5 and parts[-2] == "manifests" and MODE in HOSTILE:
            return HOSTILE[MODE](self)
        if len(parts) >= 5 and parts[-2] == "blobs" and MODE == "overflow":
            return self.endless(200, b"x" * 65536, 0)
        if len(parts) >= 5 and parts[-2] == "manifests" and MODE == "ratelimited":
            return self.send(429, b'{"errors":[{"code":"TOOMANYREQUESTS"}]}',
                             headers=HUB_LIMIT + [("Retry-After", "3600")])
        if len(parts) >= 5 and parts[-2] == "manifests" and MODE == "retryafter":
            if self.path not in first_429:
                first_429[self.path] = time.monotonic()
                return self.send(429, b"{}", headers=HUB_LIMIT + [("Retry-After", "2")])
            if time.monotonic() - first_429[self.path] < 1.9:
                first_429[self.path] = -1e9  # never again: the retry came too early
                return self.send(400, b'{"errors":[{"code":"RETRIED_TOO_EARLY"}]}')
        if len(parts) >= 5 and parts[-2] == "manifests":
            ref = parts[-1]
            for m in index()["manifests"]:
                if ref in (m["digest"], m.get("annotations", {}).get(
                        "org.opencontainers.image.ref.name")):
                    body = open(os.path.join(LAYOUT, "blobs/sha256", m["digest"][7:]), "rb").read()
                    dg = m["digest"]
                    if MODE == "baddigest":
                        dg = "sha256:" + "0" * 64
                    if MODE == "huge":
                        body = b'{"x":"' + b"a" * (5 << 20) + b'"}'
                    if MODE == "bigdecl":
                        doc = json.loads(body)
                        doc["layers"][0]["size"] = 1 << 50
                        body = json.dumps(doc).encode()
                        import hashlib
                        dg = "sha256:" + hashlib.sha256(body).hexdigest()
                    if MODE == "badjson":
                        body = b"{not json"
                        import hashlib
                        dg = "sha256:" + hashlib.sha256(body).hexdigest()
                    return self.send(200, body, m["mediaType"], [("Docker-Content-Digest", dg)])
            return self.send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')
        if len(parts) >= 5 and parts[-2] == "blobs":
            f = os.path.join(LAYOUT, "blobs/sha256", parts[-1][7:])
            if os.path.exists(f):
                return self.send(200, open(f, "rb").read(), "application/octet-stream")
        return self.send(404, b"{}")

    do_HEAD = do_GET

    def endless(self, code, chunk, pause):
        """Answers code with chunk sent again and again (no Content-Length)."""
        import time
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.close_connection = True
        try:
            while True:
                self.wfile.write(chunk)
                self.wfile.flush()
                if pause:
                    time.sleep(pause)
        except OSError:
            pass


HOSTILE = {
    "trickle": lambda h: h.endless(200, b" ", 0.5),
    "flood": lambda h: h.endless(200, b" " * 8192, 1.0),
    "errflood": lambda h: h.endless(404, b"e" * 65536, 0),
}


s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(s.server_port))
os.rename(PORTFILE + ".tmp", PORTFILE)
s.serve_forever()
