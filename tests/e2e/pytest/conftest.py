# The project's own use of the pytest plugin (tests/fixtures/python/pytest_nimbus.py), run by
# tests/e2e/test_pytest_fixture.py.
pytest_plugins = ["pytest_nimbus"]

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def nimbus_settings():
    return {"SERVICES": "s3,sqs,sts"}
