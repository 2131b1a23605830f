"""Seeds N MC audit events straight into a SQLite database for make bench,
spread over the last 30 days (so MC's default 48-hour window holds about
N/15 of them): into Steward's `audit_events` and `audit_event_orgs`, or the
reference's `events`, the same rows. Standard library only.

usage: events_seed.py <steward|reference> <database file> <count>"""
import json
import random
import sqlite3
import sys
import time

kind, path, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
random.seed(7)
names = [f"{verb}{noun}" for verb in ("Create", "Delete", "Update") for noun in
         ("App", "AppInst", "ClusterInst", "Cloudlet", "Flavor", "Org", "CloudletPool", "AutoScalePolicy")]
names += ["Login", "AddUserRole", "RemoveUserRole", "CreateUser", "ShowApp", "ShowAppInst"]
orgs = [f"org{n:03d}" for n in range(200)]
now_us = int(time.time() * 1_000_000)
span_us = 30 * 24 * 3600 * 1_000_000


def event(n):
    name = random.choice(names)
    org = "" if name in ("Login", "CreateUser") else random.choice(orgs)
    status = random.choice(("200",) * 9 + ("400",))
    at_us = now_us - random.randrange(span_us)
    tags = {
        "duration": f"{random.randrange(100, 9000) / 1000}ms",
        "email": f"user{n % 500}@example.com",
        "hostname": "bench",
        "localuri": f"/api/v1/auth/ctrl/{name}",
        "method": "POST",
        "org": org,
        "remote-ip": "127.0.0.1",
        "request": json.dumps({"Region": "local", "App": {"key": {"organization": org, "name": f"app{n % 97}"}}}),
        "response": "{}" if status == "200" else '{"message":"App key not found"}',
        "status": status,
        "username": f"user{n % 500}",
    }
    error = None if status == "200" else "App key not found"
    return name, at_us, org, error, json.dumps(tags, sort_keys=True)


db = sqlite3.connect(path, timeout=60)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=NORMAL")
batch = 20_000
for start in range(0, count, batch):
    rows = [event(n) for n in range(start, min(count, start + batch))]
    with db:
        if kind == "steward":
            for name, at_us, org, error, tags in rows:
                cursor = db.execute(
                    "INSERT INTO audit_events (at, surface, actor, action, target, name, kind, at_us, region, error, orgs, tags)"
                    " VALUES (?, 'mc', 'bench', ?, '', ?, 'audit', ?, NULL, ?, ?, ?)",
                    (time.strftime("%Y-%m-%d %H:%M:%S+00:00", time.gmtime(at_us // 1_000_000)), name, name, at_us,
                     error, json.dumps([org]), tags))
                db.execute("INSERT INTO audit_event_orgs (org, at_us, event_id) VALUES (?, ?, ?)", (org, at_us, cursor.lastrowid))
        else:
            db.executemany(
                "INSERT INTO events (surface, name, kind, at_us, region, error, orgs, tags) VALUES ('mc', ?, 'audit', ?, NULL, ?, ?, ?)",
                [(name, at_us, error, json.dumps([org]), tags) for name, at_us, org, error, tags in rows])
db.close()
