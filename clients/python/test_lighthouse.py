"""Lighthouse API v0.2 through the client generated from the served spec:
log in (POST /api/v0.2/login sets the `auth` session cookie), then the
cookie on every call; a user created, given an AuthLevel, read, listing
users as itself and logged out; beacons, aliases and applications as far
as they go without a beacon (none runs where these tests run: connecting
one at 127.0.0.1:9 is refused at once, which Steward answers 502)."""

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from steward_lighthouse.api.aliases import update_alias
from steward_lighthouse.api.applications import (
    create_application,
    get_application_history,
    list_applications,
    start_application,
)
from steward_lighthouse.api.beacons import (
    create_beacon,
    list_beacon_instances,
    list_beacons,
    refresh_beacon,
    update_beacon_token,
)
from steward_lighthouse.api.session import login, logout
from steward_lighthouse.api.users import create_user, get_user, list_users, update_user
from steward_lighthouse.models import (
    Application,
    Deployment,
    ProgressUpdate,
    Beacon,
    HandlerError,
    Instance,
    LevelMap,
    LoginForm,
    NewApplication,
    NewApplicationCommand,
    NewBeacon,
    NewUser,
    UserInfo,
    UserUpdate,
)

from conftest import complete, env, lighthouse_client, lighthouse_login, parsed, unique

# No beacon listens here: connecting is refused at once.
NO_BEACON = "127.0.0.1:9"
NOT_LOGGED_IN = ("auth", "not logged in")
USER_ACCESS = "User does not exist or current permission too low"


def error(response, status):
    """The documented error, parsed completely: (Cause, Message)."""
    assert response.status_code == status, (response.status_code, response.content)
    body = parsed(response, HandlerError)
    return body.cause, body.message


def empty_ok(response):
    """A documented 200 without a body."""
    assert (response.status_code, response.content, response.parsed) == (200, b"", None), response.content


def test_login_sets_the_session_cookie_and_lists_users():
    admin_email = env("STEWARD_LIGHTHOUSE_ADMIN_EMAIL")
    admin, session = lighthouse_login(admin_email, env("STEWARD_LIGHTHOUSE_ADMIN_PASSWORD"))
    with admin:
        emails = parsed(list_users.sync_detailed(client=admin), [str])
        # In creation order: the bootstrap user came first.
        assert emails[0] == admin_email
        me = parsed(get_user.sync_detailed(admin_email, client=admin), UserInfo)
        assert (me.email, me.auth_level) == (admin_email, 10)
    # The session lives on the server, not in a client: any client sending it is logged in.
    with lighthouse_client(session) as again:
        assert parsed(list_users.sync_detailed(client=again), [str])[0] == admin_email


def test_user_lifecycle(lighthouse_admin):
    email = f"{unique('intern')}@example.com"
    password = f"lol what is real life {uuid.uuid4().hex}"
    empty_ok(create_user.sync_detailed(client=lighthouse_admin, body=NewUser(email=email, password=password)))

    info = parsed(get_user.sync_detailed(email, client=lighthouse_admin), UserInfo)
    assert info.to_dict() == {"Email": email, "AuthLevel": 0, "Permissions": {"Applications": {}, "Beacons": {}}}

    empty_ok(update_user.sync_detailed(email, client=lighthouse_admin, body=UserUpdate(auth_level=1)))
    info = parsed(get_user.sync_detailed(email, client=lighthouse_admin), UserInfo)
    assert (info.email, info.auth_level) == (email, 1)
    assert (info.permissions.applications.to_dict(), info.permissions.beacons.to_dict()) == ({}, {})

    # Documented refusals, parsed into their model.
    again = create_user.sync_detailed(client=lighthouse_admin, body=NewUser(email=email, password="other"))
    assert error(again, 400) == ("users", "databases: key already exists")
    blank = create_user.sync_detailed(client=lighthouse_admin, body=NewUser(email=unique("blank")))
    assert error(blank, 400) == ("users", "users: email and password are required")
    # Granting a level on a beacon needs level 1 or more on it.
    grant = UserUpdate(beacons=LevelMap.from_dict({NO_BEACON: 1}))
    assert error(update_user.sync_detailed(email, client=lighthouse_admin, body=grant), 403) == (
        "users",
        "could not update user",
    )

    intern, session = lighthouse_login(email, password)
    with intern:
        # With AuthLevel 1 the intern creates users (AuthLevel 0) and sees them.
        employee = f"{unique('employee')}@example.com"
        empty_ok(create_user.sync_detailed(client=intern, body=NewUser(email=employee, password="correct horse")))
        listed = parsed(list_users.sync_detailed(client=intern), [str])
        assert email in listed and employee in listed
        assert listed.index(email) < listed.index(employee)
        assert env("STEWARD_LIGHTHOUSE_ADMIN_EMAIL") not in listed

        # A higher AuthLevel is not found; nobody raises themself.
        admin_email = env("STEWARD_LIGHTHOUSE_ADMIN_EMAIL")
        assert error(get_user.sync_detailed(admin_email, client=intern), 404) == ("users", USER_ACCESS)
        raise_self = update_user.sync_detailed(email, client=intern, body=UserUpdate(auth_level=2))
        assert error(raise_self, 403) == ("users", "could not update user")
        negative = update_user.sync_detailed(employee, client=intern, body=UserUpdate(auth_level=-1))
        assert error(negative, 400) == ("users", "could not update user")
        assert parsed(get_user.sync_detailed(email, client=intern), UserInfo).auth_level == 1

        # Logging out ends the session on the server and clears the cookie.
        out = logout.sync_detailed(client=intern)
        empty_ok(out)
        assert out.headers["set-cookie"].startswith("auth=; Path=/; Max-Age=0")
        assert error(list_users.sync_detailed(client=intern), 401) == NOT_LOGGED_IN
    with lighthouse_client(session) as ended:
        assert error(list_users.sync_detailed(client=ended), 401) == NOT_LOGGED_IN
    # Only the intern's session ended.
    assert email in parsed(list_users.sync_detailed(client=lighthouse_admin), [str])

    with lighthouse_client() as anonymous:
        wrong = login.sync_detailed(client=anonymous, body=LoginForm(email=email, password="not it"))
        assert error(wrong, 401) == ("auth", "email or password incorrect")


def test_a_failed_login_ends_the_session_its_request_carries():
    admin_email = env("STEWARD_LIGHTHOUSE_ADMIN_EMAIL")
    admin, session = lighthouse_login(admin_email, env("STEWARD_LIGHTHOUSE_ADMIN_PASSWORD"))
    with admin:
        assert parsed(list_users.sync_detailed(client=admin), [str])
        # An unknown email leaves the session alone, as the original's did ...
        unknown = login.sync_detailed(client=admin, body=LoginForm(email="nobody@example.com", password="x"))
        assert error(unknown, 401) == ("auth", "email or password incorrect")
        assert parsed(list_users.sync_detailed(client=admin), [str])
        # ... a wrong password for a known user ends it.
        wrong = login.sync_detailed(client=admin, body=LoginForm(email=admin_email, password="wrong"))
        assert error(wrong, 401) == ("auth", "email or password incorrect")
        assert error(list_users.sync_detailed(client=admin), 401) == NOT_LOGGED_IN


def test_beacons_without_a_beacon(lighthouse_admin):
    alias = unique("beacon")
    body = NewBeacon(address=NO_BEACON, token="MY_TOKEN", alias=alias)
    cause, message = error(create_beacon.sync_detailed(client=lighthouse_admin, body=body), 502)
    assert (cause, message) == ("beacons", "beacon unreachable: connection refused")
    # A beacon that does not answer is not recorded.
    assert parsed(list_beacons.sync_detailed(client=lighthouse_admin), [Beacon]) == []
    unnamed = create_beacon.sync_detailed(client=lighthouse_admin, body=NewBeacon(address=NO_BEACON))
    assert error(unnamed, 400) == ("beacons", "beacons: not enough or invalid parameters given")

    # Without a level on it, a beacon's instances are an empty list.
    for refresh in (False, True):
        listed = list_beacon_instances.sync_detailed(NO_BEACON, client=lighthouse_admin, refresh=str(refresh))
        assert parsed(listed, [Instance]) == []
    refreshed = refresh_beacon.sync_detailed(NO_BEACON, client=lighthouse_admin)
    assert error(refreshed, 404) == ("beacons", "databases: result was empty")
    token = update_beacon_token.sync_detailed(NO_BEACON, client=lighthouse_admin, body="NEW_TOKEN")
    assert error(token, 403) == ("beacons", "beacons: user not permitted to access token")

    # Any address that is no beacon's (nor instance's) is named freely;
    # the alias is a JSON string. An instance address has a slash.
    address = f"10.{uuid.uuid4().int % 250}.0.1:5001/v1.12"
    empty_ok(update_alias.sync_detailed(address, client=lighthouse_admin, body=unique("vm")))
    # Naming it again renames it.
    empty_ok(update_alias.sync_detailed(address, client=lighthouse_admin, body=alias))
    blank = update_alias.sync_detailed(address, client=lighthouse_admin, body="")
    assert error(blank, 400) == ("aliases", "aliases: the alias must not be empty")


def test_applications_without_a_beacon(lighthouse_admin):
    assert parsed(list_applications.sync_detailed(client=lighthouse_admin), [Application]) == []
    name = unique("app")
    history = get_application_history.sync_detailed(name, client=lighthouse_admin, count="5")
    assert error(history, 404) == ("applications", "applications: unknown application ID")
    assert error(start_application.sync_detailed(name, client=lighthouse_admin), 404) == (
        "applications",
        "applications: unknown application ID",
    )
    # Instances must be instances of known beacons: refused before anything is deployed.
    body = NewApplication(
        name=name,
        command=NewApplicationCommand.from_dict({"Image": "nginx:latest"}),
        instances=[f"{NO_BEACON}/v1.12"],
    )
    created = create_application.sync_detailed(client=lighthouse_admin, body=body, start="true")
    assert error(created, 400) == ("applications", "applications: not enough or invalid parameters given")
    assert parsed(list_applications.sync_detailed(client=lighthouse_admin), [Application]) == []


def test_every_path_but_login_and_logout_needs_a_session(lighthouse_anonymous):
    assert error(list_users.sync_detailed(client=lighthouse_anonymous), 401) == NOT_LOGGED_IN
    assert error(list_beacons.sync_detailed(client=lighthouse_anonymous), 401) == NOT_LOGGED_IN
    body = NewBeacon(address=NO_BEACON, token="MY_TOKEN", alias="MyBeacon")
    assert error(create_beacon.sync_detailed(client=lighthouse_anonymous, body=body), 401) == NOT_LOGGED_IN
    assert error(list_applications.sync_detailed(client=lighthouse_anonymous), 401) == NOT_LOGGED_IN
    with lighthouse_client("0" * 64) as forged:
        assert error(list_users.sync_detailed(client=forged), 401) == NOT_LOGGED_IN
    # Logging out without a session is fine too.
    empty_ok(logout.sync_detailed(client=lighthouse_anonymous))


class _Beacon(BaseHTTPRequestHandler):
    """A beacon with two VMs that answers their Docker calls itself and
    remembers them: enough for a deployment to run end to end."""

    protocol_version = "HTTP/1.1"
    token = "client-beacon-token"
    calls = []

    def log_message(self, *args):
        pass

    def _answer(self, status, body=b""):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _any(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.headers.get("Token") != self.token:
            return self._answer(401)
        port = str(self.server.server_address[1])
        if self.path == "/vms":
            vms = [{"name": f"vm{i}", "address": "127.0.0.1", "port": port, "version": f"v{i}", "canAccessDocker": True}
                   for i in range(2)]
            return self._answer(200, json.dumps(vms).encode())
        _Beacon.calls.append(f"{self.command} {self.path}")
        if "/images/create" in self.path:
            return self._answer(200, b'{"status":"Pulling"}\n{"status":"Done"}\n')
        if "/containers/create" in self.path:
            return self._answer(201, b'{"Id":"0123456789ab","Warnings":null}')
        if self.command == "DELETE":
            return self._answer(404, b"no such container")
        return self._answer(204)

    do_GET = do_POST = do_PUT = do_DELETE = _any


def _stream(client, method, path, **params):
    """A streamed answer read line by line through the generated line model
    (generated clients parse a body as one JSON document)."""
    body = params.pop("body", None)
    raw = client.get_httpx_client().request(method, path, params=params, json=body)
    assert raw.status_code == 200, raw.text
    assert raw.text.endswith("\n")
    return [complete(ProgressUpdate.from_dict(json.loads(line))) for line in raw.text.splitlines()]


def test_an_application_deployed_through_a_beacon(lighthouse_admin):
    # A user of its own, so the other tests' lists (the admin's) stay empty.
    email, password = f"{unique('deployer')}@example.com", uuid.uuid4().hex
    empty_ok(create_user.sync_detailed(client=lighthouse_admin, body=NewUser(email=email, password=password)))
    deployer, _ = lighthouse_login(email, password)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Beacon)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with deployer:
        _deploy_through(deployer, email, server)
    server.shutdown()


def _deploy_through(client, client_email, server):
    """Connects the beacon, deploys an application to both its VMs and stops it."""
    address = f"127.0.0.1:{server.server_address[1]}"
    alias = unique("lab")
    empty_ok(create_beacon.sync_detailed(client=client,
                                         body=NewBeacon(address=address, token=_Beacon.token, alias=alias)))
    instances = parsed(list_beacon_instances.sync_detailed(address, client=client), [Instance])
    assert [i.alias for i in instances] == [f"{alias}.vm0", f"{alias}.vm1"]
    assert all(i.beacon_address == address and i.can_access_docker for i in instances)

    name = unique("web")
    body = {"Name": name, "Command": {"Image": "nginx:1.27"}, "Instances": [i.instance_address for i in instances]}
    lines = _stream(client, "POST", "/api/v0.2/applications/create", start="true", forcePull="true",
                    body=body)
    assert [line.status for line in lines][:2] == ["Starting", "OK"]
    assert lines[-1].status == "Finalized"
    assert not [line for line in lines if line.status == "Error"]
    assert len([c for c in _Beacon.calls if c.endswith(f"/containers/{name}/start")]) == 2

    stopped = _stream(client, "POST", f"/api/v0.2/applications/stop/{name}")
    assert [line.status for line in stopped] == ["Starting", "OK", "OK", "Complete", "Finalized"]
    assert {line.endpoint for line in stopped[:4]} == {f"containers/{name}/stop"}

    answer = get_application_history.sync_detailed(name, client=client)
    assert answer.status_code == 200, answer.content
    history = answer.parsed
    assert all(isinstance(d, Deployment) for d in history), history
    assert [(d.version, d.image, d.creator) for d in history] == [(1, "nginx:1.27", client_email)]
    # The command is Docker's container-create body: free-form by design.
    assert history[0].command.additional_properties == {"Image": "nginx:1.27"}
    apps = parsed(list_applications.sync_detailed(client=client), [Application])
    assert [a.current_deployment for a in apps if a.name == name] == [history[0].id]
