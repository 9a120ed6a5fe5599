"""Developer portal fixtures: the APIM double and real grants (see tests/marketplace/apim/conftest.py)."""

from tests.marketplace.access.conftest import orders_product, serving, serving_database  # noqa: F401 - fixtures
from tests.marketplace.apim.conftest import apim, bronze, expose, exposed, gold, grant_for  # noqa: F401 - fixtures
