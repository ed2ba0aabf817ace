#!/usr/bin/env python3
"""A token server for docker-registry's `auth: token:` mode (distribution-spec
token.md / distribution's token authentication): GET /token?service=&scope=
answers {"token": JWT}, an RS256 JWT signed (with `openssl dgst`) by a key made
in the test, whose x5c header carries the signing certificate, so the real
registry checks a real signature against its rootcertbundle.

Usage: tokenserver.py KEY CERT ISSUER USER PASS PORTFILE LOG
  With Basic USER:PASS the token grants pull and push; without credentials
  (Docker Hub's anonymous flow) only pull of repositories under public/;
  wrong credentials get 401. Each request is appended to LOG."""
import base64
import http.server
import json
import os
import subprocess
import sys
import time
import urllib.parse

KEY, CERT, ISSUER, USER, PASS, PORTFILE, LOG = sys.argv[1:8]


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def cert_der():
    pem = open(CERT).read()
    body = pem.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
    return base64.b64encode(base64.b64decode("".join(body.split()))).decode()


def sign(data):
    return subprocess.run(["openssl", "dgst", "-sha256", "-sign", KEY], input=data,
                          stdout=subprocess.PIPE, check=True).stdout


def token(service, access, sub):
    now = int(time.time())
    header = {"alg": "RS256", "typ": "JWT", "x5c": [cert_der()]}
    claims = {"iss": ISSUER, "sub": sub, "aud": service, "exp": now + 600, "nbf": now - 60,
              "iat": now, "jti": b64url(os.urandom(12)), "access": access}
    head = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    return head + "." + b64url(sign(head.encode()))


class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def send(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(u.query)
        auth = self.headers.get("Authorization", "")
        with open(LOG, "a") as f:
            f.write("%s auth=%s\n" % (self.path, auth.split(" ")[0] or "none"))
        if u.path != "/token":
            return self.send(404, {})
        user = None
        if auth.startswith("Basic "):
            got = base64.b64decode(auth[6:]).decode(errors="replace")
            if got != USER + ":" + PASS:
                return self.send(401, {"details": "wrong credentials"})
            user = USER
        access = []
        for scope in q.get("scope", []):
            kind, name, actions = scope.split(":")
            want = actions.split(",")
            if user is None:
                want = [a for a in want if a == "pull"] if name.startswith("public/") else []
            access.append({"type": kind, "name": name, "actions": want})
        self.send(200, {"token": token(q.get("service", [""])[0], access, user or "")})


s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(s.server_port))
os.rename(PORTFILE + ".tmp", PORTFILE)
s.serve_forever()
