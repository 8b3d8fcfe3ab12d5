"""Evidence in one shape: the request behind an observation, its status, and what the check compared.

Every pass carries evidence, so the report can say what was examined; a request reads "GET /v1/cases?limit=2"
(credentials never appear: they travel in headers, and the record is redacted as a whole).
"""

from typing import Any

import requests


def observed(response: requests.Response, label: str = "", **compared: Any) -> dict[str, Any]:
    """What one response showed: the request that got it, its status, and the values the check compared."""
    request = response.request
    item: dict[str, Any] = {"request": f"{request.method} {request.path_url}", "status": response.status_code}
    if label:
        item["label"] = label
    return {**item, **compared}
