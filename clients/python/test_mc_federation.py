"""EdgeXR MC's federation partner API through the client generated from the
served spec: an operator (through the MC client) creates a federation host
and shares a zone-less federation; the partner exchanges the credentials at
/oauth2/token (HTTP Basic), creates the federation, reads it and ends it."""

import base64

from steward_mc.api.federation_host import create_federation_host, delete_federation_host, show_federation_host
from steward_mc.api.org import create_org
from steward_mc.models import FederationProvider, FederationProviderFilter, FederationProviderInfo, Federator
from steward_mc.models import OrganizationInput, Result
from steward_mc_federation import AuthenticatedClient
from steward_mc_federation.api.federation_management import (
    create_federation,
    delete_federation_details,
    get_federation_details,
)
from steward_mc_federation.api.token import oauth_2_token
from steward_mc_federation.models import (
    FederationDetails,
    FederationRequestData,
    FederationResponseData,
    MobileNetworkIds,
    ProblemDetails,
    Token,
    TokenRequest,
)

from conftest import BASE_URL, TIMEOUT, parsed, unique


def partner_client(token, prefix="Bearer"):
    return AuthenticatedClient(
        base_url=BASE_URL, token=token, prefix=prefix, timeout=TIMEOUT, raise_on_unexpected_status=True
    )


def test_a_partner_federates_with_a_host(mc_admin):
    operator, name = unique("fedop"), unique("fedhost")
    made = create_org.sync_detailed(client=mc_admin, body=OrganizationInput(name=operator, type_="operator"))
    assert parsed(made, Result).message == "Organization created"
    host = FederationProvider(
        name=name, operator_id=operator, regions=["local"], my_info=Federator(mcc="123", mnc=["111"])
    )
    info = parsed(create_federation_host.sync_detailed(client=mc_admin, body=host), FederationProviderInfo)
    assert info.token_url == f"{BASE_URL}/oauth2/token"

    basic = base64.b64encode(f"{info.client_id}:{info.client_key}".encode()).decode()
    with partner_client(basic, prefix="Basic") as client:
        answer = oauth_2_token.sync_detailed(client=client, body=TokenRequest(grant_type="client_credentials"))
        token = parsed(answer, Token)
    assert (token.token_type, token.expires_in) == ("Bearer", 1800)

    with partner_client(token.access_token) as partner:
        request = FederationRequestData(
            orig_op_federation_id="guest-1",
            orig_op_mobile_network_codes=MobileNetworkIds(mcc="456", mncs=["444"]),
            partner_status_link="https://guest.example.com/operatorplatform/fedcallbacks/v1/onPartnerStatusEvent",
        )
        created = parsed(create_federation.sync_detailed(client=partner, body=request), FederationResponseData)
        assert created.platform_caps == ["homeRouting", "Anchoring"]
        context = created.federation_context_id
        details = parsed(get_federation_details.sync_detailed(context, client=partner), FederationDetails)
        assert details.allowed_mobile_network_ids.mcc == "123"
        mismatch = get_federation_details.sync_detailed("not-ours", client=partner)
        assert parsed(mismatch, ProblemDetails).detail == "Mismatch between access token and federation context id"
        ended = delete_federation_details.sync_detailed(context, client=partner)
        assert (ended.status_code, ended.content) == (200, b"")

    [shown] = parsed(
        show_federation_host.sync_detailed(client=mc_admin, body=FederationProviderFilter(name=name)),
        [FederationProvider],
    )
    assert (shown.status, shown.provider_client_id) == ("Unregistered", info.client_id)
    gone = delete_federation_host.sync_detailed(client=mc_admin, body=FederationProvider(name=name))
    assert parsed(gone, Result).message == f"Federation Host {name} deleted"
