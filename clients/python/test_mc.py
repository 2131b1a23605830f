"""EdgeXR MC identity API through the client generated from the served
spec: log in (POST /api/v1/login), then the JWT as a Bearer token; users
created through usercreate, organizations created, shown, updated and
deleted."""

import datetime
import os
import uuid

from steward_mc.api.org import create_org, delete_org, show_org, update_org
from steward_mc.api.role import show_role_assignment
from steward_mc.api.security import login
from steward_mc.api.user import create_user, current_user, delete_user, show_user, update_user
from steward_mc.models import (
    CreateUser,
    EmailRequest,
    LoginResult,
    Organization,
    OrganizationFilter,
    OrganizationInput,
    Result,
    Role,
    ShowUser,
    User,
    UserFilter,
    UserLogin,
    UserResponse,
)
from steward_mc.types import Unset

from conftest import complete, mc_login, parsed, unique


def test_user_and_org_lifecycle(mc_anonymous, mc_admin):
    name = unique("alice")
    email = f"{name}@example.com"
    password = f"quartz-{uuid.uuid4().hex}"
    body = CreateUser(name=name, email=email, passhash=password, verify=EmailRequest(email=email))
    created = parsed(create_user.sync_detailed(client=mc_anonymous, body=body), UserResponse)
    assert (created.message, created.totp_shared_key, created.totpqr_image) == ("user created", "", None)

    alice, result = mc_login(mc_anonymous, name.upper(), password)
    assert isinstance(result.admin, Unset)  # only AdminManagers get `admin: true`
    with alice:
        me = parsed(current_user.sync_detailed(client=alice), User)
        assert (me.name, me.email, me.passhash, me.salt, me.iter_, me.locked) == (name, email, "", "", 0, False)
        assert isinstance(me.created_at, datetime.datetime)

        change = CreateUser(given_name="Alice", family_name="Example", nickname="al")
        updated = parsed(update_user.sync_detailed(client=alice, body=change), UserResponse)
        assert updated.message == "user updated"
        me = parsed(current_user.sync_detailed(client=alice), User)
        assert (me.given_name, me.family_name, me.nickname) == ("Alice", "Example", "al")

        org = unique("acme")
        response = create_org.sync_detailed(
            client=alice, body=OrganizationInput(name=org, type_="developer", address="1 Main St", phone="555 0100")
        )
        assert parsed(response, Result).message == "Organization created"

        [shown] = parsed(show_org.sync_detailed(client=alice, body=OrganizationFilter(name=org)), [Organization])
        assert (shown.name, shown.type_, shown.address, shown.phone) == (org, "developer", "1 Main St", "555 0100")
        assert isinstance(shown.created_at, datetime.datetime)
        roles = parsed(show_role_assignment.sync_detailed(client=alice, body=Role(org=org)), [Role])
        assert roles == [Role(org=org, username=name, role="DeveloperManager")]

        response = update_org.sync_detailed(client=alice, body=OrganizationInput(name=org, address="2 Main St"))
        assert response.status_code == 200
        assert response.content == b""
        [shown] = parsed(show_org.sync_detailed(client=alice, body=OrganizationFilter(name=org)), [Organization])
        assert shown.address == "2 Main St"

        # A documented error, parsed into its model.
        response = update_org.sync_detailed(client=alice, body=OrganizationInput(name=org, type_="operator"))
        assert response.status_code == 400
        assert parsed(response, Result).message == "Cannot change Organization type"

        # The superuser lists the organization's members.
        members = parsed(show_user.sync_detailed(client=mc_admin, body=ShowUser(org=org)), [User])
        assert [m.name for m in members] == [name]

        assert parsed(delete_org.sync_detailed(client=alice, body=OrganizationInput(name=org)), Result).message == (
            "Organization deleted"
        )
        assert parsed(show_org.sync_detailed(client=alice, body=OrganizationFilter(name=org)), [Organization]) == []

    response = delete_user.sync_detailed(client=mc_admin, body=UserFilter(name=name))
    assert parsed(response, Result).message == "User deleted"
    response = login.sync_detailed(client=mc_anonymous, body=UserLogin(username=name, password=password))
    assert response.status_code == 400
    assert parsed(response, Result).message == "Invalid username or password"


def test_auth_paths_need_a_token(mc_anonymous):
    response = current_user.sync_detailed(client=mc_anonymous)
    assert response.status_code == 401
    assert parsed(response, Result).message == "No bearer token found"


def test_a_weak_password_is_refused(mc_anonymous):
    body = CreateUser(name=unique("weak"), email=f"{unique('weak')}@example.com", passhash="password1")
    response = create_user.sync_detailed(client=mc_anonymous, body=body)
    assert response.status_code == 400
    message = parsed(response, Result).message
    assert message.startswith("Password too weak, requires crack time 31.0 days but is "), message


def test_superuser_login_sets_the_token_cookie(mc_anonymous):
    body = UserLogin(username=os.environ["STEWARD_MC_ADMIN_USER"], password=os.environ["STEWARD_MC_ADMIN_PASSWORD"])
    response = login.sync_detailed(client=mc_anonymous, body=body)
    result = parsed(response, LoginResult)
    assert result.admin is True
    assert response.headers["set-cookie"].startswith(f"token={result.token};")


def test_regions(mc_admin):
    from steward_mc.api.controller import create_controller, delete_controller, show_controller, update_controller
    from steward_mc.models import Controller, ControllerFilter, ControllerInput

    region = unique("R")[:8]
    made = create_controller.sync_detailed(
        client=mc_admin, body=ControllerInput(region=region, address=f"{region}.example.net:55001")
    )
    assert parsed(made, Result).message == "Controller registered"
    shown = parsed(show_controller.sync_detailed(client=mc_admin, body=ControllerFilter(region=region)), [Controller])
    assert [(c.region, c.address, c.dns_region) for c in shown] == [
        (region, f"{region}.example.net:55001", region.lower())
    ]
    assert isinstance(shown[0].created_at, datetime.datetime)
    changed = update_controller.sync_detailed(
        client=mc_admin, body=ControllerInput(region=region, influx_db="https://influx.example.net:8086")
    )
    assert parsed(changed, Result).message == "Controller updated"
    shown = parsed(show_controller.sync_detailed(client=mc_admin, body=ControllerFilter(region=region)), [Controller])
    assert shown[0].influx_db == "https://influx.example.net:8086"
    every = parsed(show_controller.sync_detailed(client=mc_admin), [Controller])
    assert "local" in [c.region for c in every]  # STEWARD_MC_REGIONS' default

    # A documented error, parsed into its model.
    refused = create_controller.sync_detailed(client=mc_admin, body=ControllerInput(region="US-West", address="a:1"))
    assert refused.status_code == 400
    assert parsed(refused, Result).message == "Region cannot contain '-'"

    gone = delete_controller.sync_detailed(client=mc_admin, body=ControllerInput(region=region))
    assert parsed(gone, Result).message == "Controller deregistered"
    assert parsed(show_controller.sync_detailed(client=mc_admin, body=ControllerFilter(region=region)), [Controller]) == []


def test_flavors_and_streamed_shows(mc_admin):
    """Regional calls through the generated models; a streamed show read
    line by line, each line parsed (completely) as the documented line."""
    import json

    from steward_mc.api.flavor import add_flavor_res, create_flavor, delete_flavor, show_flavor
    from steward_mc.models import Flavor, FlavorKey, FlavorLine, FlavorOptResMap, RegionFlavor

    names = [unique("f"), unique("f")]
    for name in names:
        body = RegionFlavor(region="local", flavor=Flavor(key=FlavorKey(name=name), ram=1024, vcpus=1, disk=10))
        made = create_flavor.sync_detailed(client=mc_admin, body=body)
        assert (made.status_code, made.content) == (200, b"{}")
    extra = FlavorOptResMap.from_dict({"gpu": "gpu:1"})
    added = add_flavor_res.sync_detailed(
        client=mc_admin, body=RegionFlavor(region="local", flavor=Flavor(key=FlavorKey(name=names[0]), opt_res_map=extra))
    )
    assert added.status_code == 200

    # Generated clients parse a body as one JSON document; a stream of
    # several lines is read from the raw answer instead.
    raw = mc_admin.get_httpx_client().post(
        "/api/v1/auth/ctrl/ShowFlavor", json=RegionFlavor(region="local", flavor=Flavor()).to_dict()
    )
    assert raw.status_code == 200 and raw.headers["content-type"] == "application/json"
    assert raw.text.endswith("\n")
    lines = [complete(FlavorLine.from_dict(json.loads(line))) for line in raw.text.splitlines()]
    shown = {line.data.key.name: line.data for line in lines if line.data.key.name in names}
    assert sorted(shown) == sorted(names)
    assert shown[names[0]].opt_res_map.to_dict() == {"gpu": "gpu:1"}
    assert (shown[names[1]].ram, shown[names[1]].vcpus, shown[names[1]].disk) == (1024, 1, 10)

    # One line parses through the generated operation as well.
    one = show_flavor.sync_detailed(
        client=mc_admin, body=RegionFlavor(region="local", flavor=Flavor(key=FlavorKey(name=names[1])))
    )
    assert parsed(one, FlavorLine).data.key.name == names[1]

    refused = create_flavor.sync_detailed(client=mc_admin, body=RegionFlavor(region="mars", flavor=Flavor()))
    assert refused.status_code == 400
    assert parsed(refused, Result).message == 'Region "mars" not found'
    for name in names:
        gone = delete_flavor.sync_detailed(client=mc_admin, body=RegionFlavor(region="local", flavor=Flavor(key=FlavorKey(name=name))))
        assert gone.status_code == 200


def test_cloudlets_stream_their_steps_and_parse_completely(mc_admin):
    """A cloudlet on the fake platform, created and shown through the
    generated models; every streamed line parses completely."""
    import json

    from steward_mc.api.org import create_org
    from steward_mc.models import Cloudlet, CloudletKey, CloudletLine, Location, RegionCloudlet, ResultLine

    org = unique("op")
    made = create_org.sync_detailed(client=mc_admin, body=OrganizationInput(name=org, type_="operator"))
    assert parsed(made, Result).message == "Organization created"
    body = RegionCloudlet(
        region="local",
        cloudlet=Cloudlet(
            key=CloudletKey(organization=org, name="c1"),
            location=Location(latitude=31.0, longitude=-91.0),
            num_dynamic_ips=254,
            platform_type="fakeedgebox",
        ),
    )
    raw = mc_admin.get_httpx_client().post("/api/v1/auth/ctrl/CreateCloudlet", json=body.to_dict())
    assert raw.status_code == 200, raw.text
    steps = [complete(ResultLine.from_dict(json.loads(line))).data.message for line in raw.text.splitlines()]
    assert steps[0] == "Setting physicalname to match cloudlet name"
    assert steps[-1] == "Created Cloudlet successfully"

    shown = mc_admin.get_httpx_client().post(
        "/api/v1/auth/ctrl/ShowCloudlet",
        json=RegionCloudlet(region="local", cloudlet=Cloudlet(key=CloudletKey(organization=org))).to_dict(),
    )
    lines = [complete(CloudletLine.from_dict(json.loads(line))) for line in shown.text.splitlines()]
    assert [(line.data.key.name, line.data.state) for line in lines] == [("c1", "Ready")]
    assert [f.name for f in lines[0].data.infra_flavors] == ["x1.tiny", "x1.small"]
    gone = mc_admin.get_httpx_client().post(
        "/api/v1/auth/ctrl/DeleteCloudlet",
        json=RegionCloudlet(region="local", cloudlet=Cloudlet(key=CloudletKey(organization=org, name="c1"))).to_dict(),
    )
    assert gone.text.splitlines()[-1] == '{"data":{"message":"Deleted Cloudlet successfully"}}'


def test_alert_receiver_round_trip_and_events_query(mc_admin):
    """A receiver created, shown (its webhook hidden) and deleted; then the
    audit log answers for the traffic: show, find and terms parse into
    their models."""
    from steward_mc.api.alert_receiver import create_alert_receiver, delete_alert_receiver, show_alert_receiver
    from steward_mc.api.events import event_terms, find_events, show_events
    from steward_mc.models import AlertReceiver, AppKey, EventData, EventSearch, EventTerms

    org = unique("acme")
    assert parsed(create_org.sync_detailed(client=mc_admin, body=OrganizationInput(name=org, type_="developer")), Result)
    name = unique("chat")
    body = AlertReceiver(
        name=name,
        type_="slack",
        severity="warning",
        slack_channel="alerts",
        slack_webhook="https://hooks.example.com/T0/B0/secret",
        app_key=AppKey(organization=org, name="app1", version="1.0"),
    )
    made = create_alert_receiver.sync_detailed(client=mc_admin, body=body)
    assert parsed(made, Result).message == "Alert receiver created successfully"
    again = create_alert_receiver.sync_detailed(client=mc_admin, body=body)
    assert again.status_code == 400
    assert "Receiver Exists - delete it first" in parsed(again, Result).message
    [shown] = parsed(show_alert_receiver.sync_detailed(client=mc_admin, body=AlertReceiver(name=name)), [AlertReceiver])
    assert (shown.slack_channel, shown.slack_webhook, shown.app_key.organization) == ("#alerts", "<hidden>", org)
    gone = delete_alert_receiver.sync_detailed(
        client=mc_admin, body=AlertReceiver(name=name, type_="slack", severity="warning")
    )
    assert parsed(gone, Result).message == "Alert receiver deleted successfully"
    assert parsed(show_alert_receiver.sync_detailed(client=mc_admin, body=AlertReceiver(name=name)), [AlertReceiver]) == []

    search = EventSearch.from_dict({"match": {"orgs": [org]}, "startage": "1h"})
    [created] = parsed(show_events.sync_detailed(client=mc_admin, body=search), [EventData])
    assert (created.name, created.org, created.type_) == ("CreateOrg", [org], "audit")
    assert created.mtags["status"] == "200" and created.mtags["localuri"] == "/api/v1/auth/org/create"
    receivers = EventSearch.from_dict({"match": {"names": ["*AlertReceiver"], "tags": {"request": name}}})
    recorded = parsed(show_events.sync_detailed(client=mc_admin, body=receivers), [EventData])
    assert [event.name for event in recorded] == ["DeleteAlertReceiver", "CreateAlertReceiver", "CreateAlertReceiver"]
    assert all("secret" not in event.mtags["request"] for event in recorded)
    found = parsed(find_events.sync_detailed(client=mc_admin, body=search), [EventData])
    assert found[0].name == "CreateOrg"
    terms = parsed(event_terms.sync_detailed(client=mc_admin, body=search), EventTerms)
    assert [(bucket.key, bucket.count) for bucket in terms.names] == [("CreateOrg", 1)]
    refused = show_events.sync_detailed(client=mc_admin, body=EventSearch.from_dict({"startage": "1h", "starttime": "2026-01-01T00:00:00Z"}))
    assert refused.status_code == 400
    assert parsed(refused, Result).message == "May only specify one of start time or start age"
