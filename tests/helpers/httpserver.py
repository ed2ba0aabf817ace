#!/usr/bin/env python3
"""A test HTTP server like BuildKit's util/testutil/httpserver: fixed responses
with an ETag and/or a Last-Modified date, and a log of every request.

    httpserver.py PORTFILE LOG PATH=FILE[,etag=X][,lastmod=UNIXTIME] ...

Serves each PATH with FILE's content (read at each request, so a test can
change it). GET and HEAD answer the headers given; a GET with a matching
If-None-Match answers 304. Each request appends "METHOD PATH" to LOG. The
chosen port is written to PORTFILE once the server listens on 127.0.0.1.
"""
import email.utils
import http.server
import sys

routes = {}
for spec in sys.argv[3:]:
    path, _, rest = spec.partition("=")
    parts = rest.split(",")
    opts = dict(p.split("=", 1) for p in parts[1:])
    routes[path] = (parts[0], opts)
log_path = sys.argv[2]


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, body):
        route = routes.get(self.path.split("?")[0])
        with open(log_path, "a") as log:
            log.write("%s %s\n" % (self.command, self.path))
        if route is None:
            self.send_error(404)
            return
        with open(route[0], "rb") as f:
            data = f.read()
        etag = route[1].get("etag")
        if etag and self.headers.get("If-None-Match") == '"%s"' % etag:
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        if etag:
            self.send_header("ETag", '"%s"' % etag)
        if "lastmod" in route[1]:
            self.send_header("Last-Modified",
                             email.utils.formatdate(int(route[1]["lastmod"]), usegmt=True))
        self.end_headers()
        if body:
            self.wfile.write(data)

    def do_GET(self):
        self.answer(True)

    def do_HEAD(self):
        self.answer(False)


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os  # noqa: E402

os.rename(sys.argv[1] + ".tmp", sys.argv[1])
server.serve_forever()
