import pytest

from tests.portal.conftest import signed_in


@pytest.fixture
def alice_client(alice):
    return signed_in(alice)


@pytest.fixture
def charlie_client(charlie):
    return signed_in(charlie)
