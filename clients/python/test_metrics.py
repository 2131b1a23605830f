"""/metrics after traffic sent through a generated client, read with
prometheus_client's parser (the text format Prometheus scrapes): requests
by surface, operationId and status, their latency histogram, the
password-hashing queue, the database pool and the build."""

import httpx
from conftest import BASE_URL, argo_client, env
from prometheus_client.parser import text_string_to_metric_families
from steward_argo.api.tenants import list_tenants


def scrape():
    response = httpx.get(f"{BASE_URL}/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    # The parser refuses anything that is not the exposition format.
    return {family.name: family for family in text_string_to_metric_families(response.text)}


def sample(families, family, name, **labels):
    """The value of one series, 0 when it does not exist yet."""
    if family not in families:
        return 0.0
    for series in families[family].samples:
        if series.name == name and all(series.labels.get(k) == v for k, v in labels.items()):
            return series.value
    return 0.0


def test_requests_are_counted_by_surface_operation_and_status():
    labels = {"surface": "argo", "operation": "listTenants"}
    before = scrape()
    with argo_client(env("STEWARD_ARGO_ADMIN_KEY")) as admin:
        for _ in range(5):
            assert list_tenants.sync_detailed(client=admin).status_code == 200
    with argo_client("not-a-key") as stranger:
        for _ in range(2):
            assert list_tenants.sync_detailed(client=stranger).status_code == 401
    after = scrape()

    requests = "steward_http_requests"
    assert after[requests].type == "counter"
    moved = lambda status: (  # noqa: E731
        sample(after, requests, "steward_http_requests_total", status=status, **labels)
        - sample(before, requests, "steward_http_requests_total", status=status, **labels)
    )
    # The tests run one at a time against their own Steward: exact counts.
    assert (moved("200"), moved("401")) == (5, 2)

    duration = "steward_http_request_duration_seconds"
    assert after[duration].type == "histogram"
    count = "steward_http_request_duration_seconds_count"
    assert sample(after, duration, count, **labels) - sample(before, duration, count, **labels) == 7
    buckets = [
        (float(series.labels["le"]), series.value)
        for series in after[duration].samples
        if series.name.endswith("_bucket") and all(series.labels.get(k) == v for k, v in labels.items())
    ]
    assert [value for _, value in sorted(buckets)] == sorted(value for _, value in buckets), "cumulative buckets"
    assert max(buckets)[1] == sample(after, duration, count, **labels), "+Inf holds every request"


def test_operator_gauges_are_exposed():
    families = scrape()
    assert families["steward_password_hash_waiting"].type == "gauge"
    assert sample(families, "steward_password_hash_waiting", "steward_password_hash_waiting") >= 0
    assert sample(families, "steward_password_hash_running", "steward_password_hash_running") >= 0
    rejected = families["steward_password_hash_rejected"]
    assert rejected.type == "counter"
    assert sample(families, "steward_password_hash_rejected", "steward_password_hash_rejected_total") == 0
    pool = "steward_db_pool_connections"
    assert sample(families, pool, pool, state="in_use") >= 0
    assert sample(families, pool, pool, state="idle") >= 1, "the pool keeps a connection open"
    build = families["steward_build_info"].samples
    assert len(build) == 1 and build[0].value == 1 and build[0].labels["version"]
