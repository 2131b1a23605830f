"""Seeds a running Steward over its own API for make bench: N ARGO tenants
(one user each) and M Storj users. Standard library only."""
import concurrent.futures
import http.client
import json
import sys

host, port = sys.argv[1], int(sys.argv[2])
tenants, storj_users = int(sys.argv[3]), int(sys.argv[4])
argo_key, storj_token = sys.argv[5], sys.argv[6]


def post(path, body, headers):
    connection = http.client.HTTPConnection(host, port, timeout=30)
    connection.request("POST", path, json.dumps(body), {"Content-Type": "application/json", **headers})
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status not in (200, 201):
        raise SystemExit(f"seeding {path} failed: {response.status}")


def tenant(n):
    body = {
        "info": {"name": f"tenant-{n:05d}", "email": f"ops{n}@example.org", "website": "www.example.org"},
        "topology": {"type": "GOCDB", "feed": "gocdb.example.org"},
        "users": [{"name": f"user{n}", "email": f"user{n}@example.org", "roles": ["admin"]}],
    }
    post("/api/v2/admin/tenants", body, {"x-api-key": argo_key, "Accept": "application/json"})


def storj_user(n):
    body = {"email": f"user{n}@example.org", "fullName": f"User {n}", "password": "bench-password"}
    post("/api/user", body, {"Authorization": storj_token})


with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
    list(pool.map(tenant, range(tenants)))
    list(pool.map(storj_user, range(storj_users)))
