# The portal's signed-in clients (tests/portal/conftest.py), for the audit trail's portal page.
from tests.portal.conftest import alice_client, charlie_client  # noqa: F401
