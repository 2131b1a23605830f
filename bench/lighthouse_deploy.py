"""make bench, Lighthouse: an application start streamed to N instances.

Runs a beacon on loopback that serves N VMs and answers their Docker calls
itself after a fixed delay (a Docker engine's time per call), connects it
to Steward, creates an application on every instance, then times starts
from the request to the `Finalized` line. Prints
"<instances> <delay ms> <best s> <median s> <sequential lower bound s>":
deploying one instance after another could not finish a start sooner than
instances x delay; the original deploys to all instances in parallel, so
must Steward.

usage: lighthouse_deploy.py <steward base url> <admin email> <password> [instances] [delay ms]
"""
import http.cookiejar
import json
import statistics
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BASE, EMAIL, PASSWORD = sys.argv[1:4]
INSTANCES = int(sys.argv[4]) if len(sys.argv) > 4 else 50
DELAY = (int(sys.argv[5]) if len(sys.argv) > 5 else 100) / 1000
TOKEN = "bench-beacon-token"


class Beacon(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body=b""):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.headers.get("Token") != TOKEN:
            return self.answer(401)
        if self.path == "/vms":
            port = self.server.server_address[1]
            vms = [{"name": f"vm{i}", "address": "127.0.0.1", "port": str(port), "version": f"v{i}",
                    "canAccessDocker": True} for i in range(INSTANCES)]
            return self.answer(200, json.dumps(vms).encode())
        if self.path.startswith("/d/"):
            time.sleep(DELAY)
            if "/containers/create" in self.path:
                return self.answer(201, b'{"Id":"0123456789ab","Warnings":null}')
            return self.answer(204)
        self.answer(404)

    do_GET = do_POST = do_PUT = do_DELETE = handle_any


server = ThreadingHTTPServer(("127.0.0.1", 0), Beacon)
server.daemon_threads = True
threading.Thread(target=server.serve_forever, daemon=True).start()
beacon = f"127.0.0.1:{server.server_address[1]}"

jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{BASE}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    return opener.open(request, timeout=600).read()


call("POST", "/api/v0.2/login", {"Email": EMAIL, "Password": PASSWORD})
call("POST", "/api/v0.2/beacons/create", {"Address": beacon, "Token": TOKEN, "Alias": "bench"})
instances = [f"127.0.0.1:{server.server_address[1]}/v{i}" for i in range(INSTANCES)]
created = call("POST", "/api/v0.2/applications/create", {"Name": "bench", "Command": {"Image": "nginx"},
                                                          "Instances": instances})
if b'"Status":"Error"' in created:
    sys.exit(f"create failed: {created[:400]!r}")
times = []
for _ in range(5):
    started = time.monotonic()
    answer = call("POST", "/api/v0.2/applications/start/bench")
    elapsed = time.monotonic() - started
    lines = answer.decode().splitlines()
    if json.loads(lines[-1])["Status"] != "Finalized" or sum('"Status":"OK"' in l for l in lines) != INSTANCES:
        sys.exit(f"start did not finish on every instance: {answer[-400:]!r}")
    times.append(elapsed)
print(INSTANCES, int(DELAY * 1000), f"{min(times):.3f}", f"{statistics.median(times):.3f}", f"{INSTANCES * DELAY:.3f}")
