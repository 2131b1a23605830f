"""Storj satellite admin API through the client generated from the served
spec: users, projects, limits, API keys and coupons, with the admin token
as the whole Authorization header."""

import datetime
import os
from uuid import UUID

from steward_storj import AuthenticatedClient
from steward_storj.api.apikeys import create_api_key, delete_api_key_by_name
from steward_storj.api.coupons import create_coupon, delete_coupon, get_coupon
from steward_storj.api.projects import (
    create_project,
    delete_project,
    get_project,
    get_project_limit,
    get_project_usage,
    update_project,
    update_project_limit,
)
from steward_storj.api.users import create_user, delete_user, get_user, update_user
from steward_storj.models import (
    ApiKeyCreated,
    Coupon,
    CreateApiKey,
    CreateCoupon,
    CreateProject,
    CreateUser,
    Error,
    Project,
    ProjectCreated,
    ProjectLimits,
    ProjectSummary,
    RenameProject,
    UpdateUser,
    UsageResult,
    User,
    UserDetails,
)

from conftest import BASE_URL, TIMEOUT, parsed, unique


def test_user_and_project_lifecycle(storj):
    email = f"{unique('alice-')}@example.com"
    response = create_user.sync_detailed(
        client=storj, body=CreateUser(email=email, full_name="Alice Example", password="correct-horse")
    )
    user = parsed(response, User)
    assert (user.email, user.full_name, user.status, user.project_limit) == (email, "Alice Example", 1, 0)
    assert user.password_hash is None
    assert isinstance(user.created_at, datetime.datetime)

    details = parsed(get_user.sync_detailed(client=storj, useremail=email.upper()), UserDetails)
    assert (details.user.id, details.user.email) == (user.id, email)
    assert details.projects is None  # `null` until the user owns one
    assert details.coupons == []

    response = update_user.sync_detailed(
        client=storj, useremail=email, body=UpdateUser(full_name="Alice B. Example", project_limit=5)
    )
    assert response.status_code == 200
    assert response.content == b""
    details = parsed(get_user.sync_detailed(client=storj, useremail=email), UserDetails)
    assert (details.user.full_name, details.user.project_limit) == ("Alice B. Example", 5)

    response = create_project.sync_detailed(
        client=storj, body=CreateProject(owner_id=str(user.id), project_name="photos")
    )
    project_id = parsed(response, ProjectCreated).project_id
    project = parsed(get_project.sync_detailed(client=storj, project=project_id), Project)
    assert (project.id, project.name, project.owner_id, project.description) == (project_id, "photos", user.id, "")
    assert (project.rate_limit, project.max_buckets, project.storage_limit, project.bandwidth_limit) == (
        None,
        None,
        None,
        None,
    )

    rename = RenameProject(project_name="holiday photos", description="shared with family")
    assert update_project.sync_detailed(client=storj, project=project_id, body=rename).status_code == 200
    response = update_project_limit.sync_detailed(
        client=storj, project=project_id, usage="1TiB", bandwidth="500GB", rate="100", buckets="10"
    )
    assert response.status_code == 200
    limits = parsed(get_project_limit.sync_detailed(client=storj, project=project_id), ProjectLimits)
    assert (limits.usage.bytes_, limits.usage.amount) == (1099511627776, "1.0 TiB")
    assert (limits.bandwidth.bytes_, limits.bandwidth.amount) == (500000000000, "500.00 GB")
    assert (limits.rate.rps, limits.max_buckets) == (100, 10)
    project = parsed(get_project.sync_detailed(client=storj, project=project_id), Project)
    assert (project.name, project.description) == ("holiday photos", "shared with family")
    assert (project.rate_limit, project.max_buckets, project.storage_limit) == (100, 10, "1.0 TiB")
    usage = parsed(get_project_usage.sync_detailed(client=storj, project=project_id), UsageResult)
    assert usage.result == "no project usage exist"

    # The user's projects are listed with the user.
    details = parsed(get_user.sync_detailed(client=storj, useremail=email), UserDetails)
    assert details.projects == [
        ProjectSummary(id=project_id, name="holiday photos", description="shared with family", owner_id=user.id)
    ]

    key = parsed(
        create_api_key.sync_detailed(client=storj, project=project_id, body=CreateApiKey(name="backup")),
        ApiKeyCreated,
    )
    assert key.apikey

    # Documented refusals, parsed into the Error model.
    response = delete_project.sync_detailed(client=storj, project=project_id)
    assert response.status_code == 409
    refused = parsed(response, Error)
    assert (refused.error, refused.detail) == ("api-keys still exist", "count 1")
    response = delete_user.sync_detailed(client=storj, useremail=email)
    assert response.status_code == 409
    refused = parsed(response, Error)
    assert (refused.error, refused.detail) == ("some projects still exist", f"[{{{project_id} holiday photos}}]")

    response = delete_api_key_by_name.sync_detailed(client=storj, project=project_id, name="backup")
    assert response.status_code == 200
    assert delete_project.sync_detailed(client=storj, project=project_id).status_code == 200
    response = get_project.sync_detailed(client=storj, project=project_id)
    assert response.status_code == 404
    assert parsed(response, Error).error == "project with specified uuid does not exist"

    assert delete_user.sync_detailed(client=storj, useremail=email).status_code == 200
    response = get_user.sync_detailed(client=storj, useremail=email)
    assert response.status_code == 404
    missing = parsed(response, Error)
    assert (missing.error, missing.detail) == (f'user with email "{email}" not found', "")


def test_coupon_lifecycle(storj):
    email = f"{unique('bob-')}@example.com"
    user = parsed(
        create_user.sync_detailed(client=storj, body=CreateUser(email=email, full_name="Bob", password="hunter22")),
        User,
    )
    body = CreateCoupon(user_id=str(user.id), duration=2, amount=3000, description="welcome credit")
    response = create_coupon.sync_detailed(client=storj, body=body)
    assert response.status_code == 200
    coupon_id = parsed(response, UUID)  # the CouponId schema: a bare JSON string, a UUID

    coupon = parsed(get_coupon.sync_detailed(client=storj, couponid=coupon_id), Coupon)
    assert (coupon.id, coupon.user_id, coupon.amount, coupon.duration) == (coupon_id, user.id, 3000, 2)
    assert (coupon.description, coupon.type_, coupon.status) == ("welcome credit", 0, 0)
    details = parsed(get_user.sync_detailed(client=storj, useremail=email), UserDetails)
    assert details.coupons == [coupon]

    assert delete_coupon.sync_detailed(client=storj, couponid=coupon_id).status_code == 200
    response = get_coupon.sync_detailed(client=storj, couponid=coupon_id)
    assert response.status_code == 404
    assert parsed(response, Error).error == f'coupon with id "{coupon_id}" not found'
    assert delete_user.sync_detailed(client=storj, useremail=email).status_code == 200


def test_invalid_user_data_is_refused(storj):
    response = create_user.sync_detailed(
        client=storj, body=CreateUser(email=f"{unique('c-')}@example.com", full_name="", password="abc")
    )
    assert response.status_code == 400
    refused = parsed(response, Error)
    assert refused.error == "user data is not valid"
    assert refused.detail == (
        "validation: full name can not be empty; validation: Your password needs at least 6 characters long"
    )


def test_a_wrong_token_is_forbidden():
    with AuthenticatedClient(
        base_url=BASE_URL,
        token=os.environ["STEWARD_STORJ_ADMIN_TOKEN"] + "-wrong",
        prefix="",
        timeout=TIMEOUT,
        raise_on_unexpected_status=True,
    ) as client:
        response = get_user.sync_detailed(client=client, useremail="alice@example.com")
    assert response.status_code == 403
    forbidden = parsed(response, Error)
    assert (forbidden.error, forbidden.detail) == ("Forbidden", "")
