"""Every request to the endpoint is authenticated; other paths behave like a storefront site."""

import requests

from .conftest import WIDE, export


def test_missing_credentials_are_401_with_a_basic_challenge(sandbox):
    response = requests.get(sandbox.endpoint_url, params={"action": "export", **WIDE}, timeout=10)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_wrong_password_and_unknown_user_are_401(sandbox):
    assert export(sandbox, auth=(sandbox.username, "nope")).status_code == 401
    assert export(sandbox, auth=("ghost", sandbox.password)).status_code == 401


def test_a_user_who_is_not_an_administrator_is_403(sandbox):
    response = export(sandbox, auth=(sandbox.nonadmin_username, sandbox.nonadmin_password))
    assert response.status_code == 403


def test_ss_username_and_password_query_parameters_are_accepted(sandbox):
    query = {"action": "export", **WIDE, "page": "1", "SS-UserName": sandbox.username, "SS-Password": sandbox.password}
    assert requests.get(sandbox.endpoint_url, params=query, timeout=10).status_code == 200


def test_home_page_is_html_and_unknown_paths_are_404(sandbox):
    home = requests.get(sandbox.base_url + "/", timeout=10)
    assert home.status_code == 200 and home.headers["Content-Type"].startswith("text/html")
    assert requests.get(sandbox.base_url + "/shipstation.xml", timeout=10).status_code == 404


def test_credentials_and_requests_are_reported(sandbox):
    export(sandbox)
    assert sandbox.username == "shipstation-admin" and len(sandbox.password) == 16
    assert sandbox.requests_served["export"] == 1
