"""The carriers tests use the portal's signed-in clients and the API's keyed clients."""

from tests.api.conftest import api_a, api_b, key_a  # noqa: F401
from tests.portal.conftest import alice_client, bob_client, charlie_client  # noqa: F401
