"""Shared set-up for the tests of the Python clients generated from
Steward's served specs.

clients/run.sh downloads each served spec, generates one package per
surface with openapi-python-client into $STEWARD_CLIENTS_OUT/python
(`steward_<surface>`, never committed), starts Steward at $STEWARD_URL with
the credentials it exports, and runs these tests. Every client is built
with `raise_on_unexpected_status=True`, so a status the spec does not
document fails the test, and `parsed()` fails a test whose response the
generated models did not parse completely.
"""

import datetime
import hashlib
import importlib
import os
import pathlib
import re
import sys
import uuid

import attrs
import httpx
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = pathlib.Path(os.environ.get("STEWARD_CLIENTS_OUT", ROOT / "target" / "clients"))
sys.path.insert(0, str(OUT / "python"))

BASE_URL = os.environ.get("STEWARD_URL", "http://127.0.0.1:18282")
TIMEOUT = httpx.Timeout(30.0)


def env(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the client tests through clients/run.sh")
    return value


def unique(prefix):
    """A name no earlier run (or test) has used."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def parsed(response, model):
    """The response's parsed body, which must be `model` (a class, or
    `list` of one: `[Model]`) and must have been parsed completely: no
    field the generator fell back to raw JSON for, and no key the spec
    does not declare."""
    body = response.parsed
    if isinstance(model, list):
        assert isinstance(body, list), f"expected a list of {model[0].__name__}, got {body!r}"
        for item in body:
            assert isinstance(item, model[0]), f"expected {model[0].__name__}, got {item!r}"
    else:
        assert isinstance(body, model), (
            f"HTTP {response.status_code}: expected {getattr(model, '__name__', model)}, got {body!r}"
            f" from {response.content[:300]!r}"
        )
    return complete(body)


def complete(value, path="body"):
    """Walks a parsed value. The generated `from_dict` is lenient: where a
    oneOf or nullable branch does not parse it keeps the raw JSON, it does
    not check primitive types, and it keeps undeclared keys in
    `additional_properties`. Each of those means the models did not
    describe the response, so each fails here: every field must hold what
    its annotation in the generated model says."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            complete(item, f"{path}[{index}]")
    elif isinstance(value, dict):
        pytest.fail(f"{path} was left as raw JSON by the generated models: {value!r}")
    elif attrs.has(type(value)):
        annotations = type(value).__annotations__
        package = type(value).__module__.split(".")[0]
        for field in attrs.fields(type(value)):
            item = getattr(value, field.name)
            if field.name == "additional_properties":
                annotation = annotations[field.name].replace(" ", "")
                if annotation == "dict[str,Any]":
                    assert not item, f"{path} has keys its schema does not declare: {sorted(item)}"
                    continue
                # A map schema (additionalProperties: <schema>).
                for key, entry in item.items():
                    _check(entry, annotation[len("dict[str,") : -1], package, f"{path}[{key!r}]")
                    complete(entry, f"{path}[{key!r}]")
            else:
                _check(item, annotations[field.name], package, f"{path}.{field.name}")
                complete(item, f"{path}.{field.name}")
    return value


_PRIMITIVES = {
    "str": str,
    "int": int,
    "float": (int, float),
    "bool": bool,
    "None": type(None),
    "Any": object,
    "datetime.datetime": datetime.datetime,
    "datetime.date": datetime.date,
    "UUID": uuid.UUID,
}


def _options(annotation):
    """The members of a union annotation such as `list[A | B] | None`."""
    options, depth, start = [], 0, 0
    for index, char in enumerate(annotation):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "|" and depth == 0:
            options.append(annotation[start:index].strip())
            start = index + 1
    return options + [annotation[start:].strip()]


def _conforms(value, annotation, package):
    for option in _options(annotation):
        if option.startswith("list[") and option.endswith("]"):
            if isinstance(value, list) and all(_conforms(item, option[5:-1], package) for item in value):
                return True
        elif option == "Unset":
            if isinstance(value, importlib.import_module(f"{package}.types").Unset):
                return True
        elif option in _PRIMITIVES:
            if isinstance(value, _PRIMITIVES[option]) and not (option in ("int", "float") and isinstance(value, bool)):
                return True
        else:
            model = getattr(importlib.import_module(f"{package}.models"), option, None)
            assert model is not None, f"unknown annotation {option!r} in {package}"
            if isinstance(value, model):
                return True
    return False


def _check(value, annotation, package, path):
    assert _conforms(value, annotation, package), f"{path} is {value!r}, not {annotation} as the generated model says"


class ScaleliteChecksum(httpx.Auth):
    """Scalelite's checksum: hex SHA1 of the action (the last path segment),
    the query string as sent, and the secret, appended as `checksum`. The
    spec declares it as an apiKey in the query, which openapi-python-client
    does not apply, so it is plugged into the generated client's httpx
    client like any other httpx auth."""

    def __init__(self, secret):
        self.secret = secret

    def auth_flow(self, request):
        action = request.url.path.rsplit("/", 1)[-1]
        query = request.url.query.decode("ascii")
        checksum = hashlib.sha1(f"{action}{query}{self.secret}".encode()).hexdigest()
        request.url = request.url.copy_add_param("checksum", checksum)
        yield request


def scalelite_client(secret):
    from steward_scalelite import Client

    return Client(
        base_url=BASE_URL,
        timeout=TIMEOUT,
        raise_on_unexpected_status=True,
        httpx_args={"auth": ScaleliteChecksum(secret)},
    )


@pytest.fixture
def scalelite():
    secret = env("STEWARD_SCALELITE_SECRET").split(":")[0]
    with scalelite_client(secret) as client:
        yield client


@pytest.fixture
def storj():
    from steward_storj import AuthenticatedClient

    # The admin token itself, no scheme: `Authorization: <token>`.
    token = env("STEWARD_STORJ_ADMIN_TOKEN")
    with AuthenticatedClient(
        base_url=BASE_URL, token=token, prefix="", timeout=TIMEOUT, raise_on_unexpected_status=True
    ) as client:
        yield client


def argo_client(key):
    from steward_argo import AuthenticatedClient

    # ARGO wants `Accept` to be exactly application/json (or XML).
    return AuthenticatedClient(
        base_url=BASE_URL,
        token=key,
        prefix="",
        auth_header_name="x-api-key",
        headers={"Accept": "application/json"},
        timeout=TIMEOUT,
        raise_on_unexpected_status=True,
    )


@pytest.fixture
def argo():
    with argo_client(env("STEWARD_ARGO_ADMIN_KEY")) as client:
        yield client


@pytest.fixture
def mc_anonymous():
    from steward_mc import Client

    with Client(base_url=BASE_URL, timeout=TIMEOUT, raise_on_unexpected_status=True) as client:
        yield client


def mc_login(anonymous, username, password):
    """Logs in through the generated `login` operation and answers a client
    that sends the token as `Authorization: Bearer`, and the login result."""
    from steward_mc import AuthenticatedClient
    from steward_mc.api.security import login
    from steward_mc.models import LoginResult, UserLogin

    response = login.sync_detailed(client=anonymous, body=UserLogin(username=username, password=password))
    assert response.status_code == 200, response.content
    result = parsed(response, LoginResult)
    client = AuthenticatedClient(
        base_url=BASE_URL, token=result.token, timeout=TIMEOUT, raise_on_unexpected_status=True
    )
    return client, result


@pytest.fixture
def mc_admin(mc_anonymous):
    client, result = mc_login(mc_anonymous, env("STEWARD_MC_ADMIN_USER"), env("STEWARD_MC_ADMIN_PASSWORD"))
    assert result.admin is True
    with client:
        yield client


# `auth=<session>; Path=/; Max-Age=<STEWARD_LIGHTHOUSE_SESSION_HOURS, default
# 720, in seconds>; HttpOnly; SameSite=Lax`: the session is 32 random bytes.
LIGHTHOUSE_COOKIE = re.compile(r"auth=([0-9a-f]{64}); Path=/; Max-Age=2592000; HttpOnly; SameSite=Lax")


def lighthouse_client(session=None):
    """A client of the Lighthouse API sending `Cookie: auth=<session>`
    when given one. The spec declares the session as an apiKey in a
    cookie, which openapi-python-client does not apply, so it goes into
    the generated client's cookies."""
    from steward_lighthouse import Client

    cookies = {"auth": session} if session is not None else {}
    return Client(base_url=BASE_URL, cookies=cookies, timeout=TIMEOUT, raise_on_unexpected_status=True)


def lighthouse_login(email, password):
    """Logs in through the generated `login` operation and answers a client
    sending the session cookie the login set, and the session's value.

    The login goes through a client of its own: httpx keeps cookies, and a
    login (like a logout) ends the session its request carries, so logging
    in a second user through a client holding the first one's cookie would
    end the first session."""
    from steward_lighthouse.api.session import login
    from steward_lighthouse.models import LoginForm

    with lighthouse_client() as anonymous:
        response = login.sync_detailed(client=anonymous, body=LoginForm(email=email, password=password))
    assert response.status_code == 200, response.content
    assert (response.content, response.parsed) == (b"", None)
    match = LIGHTHOUSE_COOKIE.fullmatch(response.headers["set-cookie"])
    assert match, f"login set {response.headers['set-cookie']!r}"
    return lighthouse_client(match.group(1)), match.group(1)


@pytest.fixture
def lighthouse_anonymous():
    with lighthouse_client() as client:
        yield client


@pytest.fixture
def lighthouse_admin():
    client, _ = lighthouse_login(env("STEWARD_LIGHTHOUSE_ADMIN_EMAIL"), env("STEWARD_LIGHTHOUSE_ADMIN_PASSWORD"))
    with client:
        yield client
