"""NET-10 blames malformed input only when the request the server got was still malformed.

Real negative cases drawn from Schemathesis for the reference supplier's GET /cases, sent to the
`server-error` defect (a 500 for any page larger than 50, valid or not). A CI run once counted such a
500 against NET-10 because the case carried undeclared query parameters, which the server ignores.
"""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, find, settings
from schemathesis import GenerationMode

from conformance.demo import serve
from conformance.fuzzing.engine import FuzzSettings, build_schema
from conformance.fuzzing.malformed import reached_server_malformed

FIND = settings(database=None, max_examples=2000, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def find_negative_case() -> Iterator[Callable[[Callable[[Any], bool]], Any]]:
    """The first negative case for GET /cases that meets a condition, bound to a running defective supplier."""
    with serve("server-error") as supplier:
        document = requests.get(supplier.spec_url, verify=supplier.ca_bundle, timeout=10).json()
        fuzz = FuzzSettings(
            base_url=supplier.base + "/v1",
            headers={"Authorization": f"Bearer {supplier.token}"},
            seed=1,
            max_examples=10,
            tls_verify=supplier.ca_bundle,
        )
        strategy = build_schema(document, fuzz)["/cases"]["GET"].as_strategy(generation_mode=GenerationMode.NEGATIVE)
        yield lambda condition: find(strategy, condition, settings=FIND)


def _digits(value: Any) -> bool:
    return str(value).isascii() and str(value).isdigit()


def _big_valid_page_with_extras(case: Any) -> bool:
    query = case.query or {}
    extras = set(query) - {"limit", "cursor"}
    limit, cursor = query.get("limit", ""), query.get("cursor", "0")
    return bool(extras) and _digits(limit) and 50 < int(limit) <= 100 and _digits(cursor)


def test_undeclared_query_parameters_alone_are_not_malformed(find_negative_case) -> None:
    case = find_negative_case(_big_valid_page_with_extras)
    response = case.call()
    assert response.status_code == 500  # the page-size defect, reached with otherwise valid input
    assert not reached_server_malformed(case, response)


def test_an_invalid_declared_parameter_is_malformed(find_negative_case) -> None:
    case = find_negative_case(lambda c: not _digits((c.query or {}).get("limit", "1")))
    response = case.call()
    assert response.status_code == 400
    assert reached_server_malformed(case, response)
