"""How to replay a finding with curl against a freshly started API: every request it needs, in order.

Schemathesis renders each request a failure needs (its ReproductionSteps: the failing request, preceded in a
stateful scenario by the requests that made its data). This module makes those lines run as they stand in
bash against a fresh API:
- a real credential (a header the user gave) is a variable the user sets, `$CONFORMANCE_HEADER_<NAME>`;
  nothing else is masked (Schemathesis's own sanitizer, which masks any name containing `token` or `key`,
  is off, see engine.build_schema; conformance.redaction still removes every secret from every output);
- a value a step took from an earlier response through a link (the id of the record just created) is read
  from that response when replayed, since a fresh API hands out its own ids; likewise a request to a
  record an earlier, unrelated request made (a 201 with a Location) is preceded by that create and sent to
  the Location the fresh API names; and our own Location check's finding ends with the GET it made;
- HEAD is sent with --head (curl -X HEAD alone waits for a body that never comes), and the CA bundle the
  run trusted is named.
"""

import re
import shlex
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from schemathesis.core.result import Ok

from conformance.fuzzing.location_check import CHECK_NAME as LOCATION_CHECK

HEADER_VARIABLE_PREFIX = "CONFORMANCE_HEADER_"
CREATED = 201
MAX_CREATIONS_KEPT = 2000  # a bound on what a long run keeps; later records replay without their create
# Reads a value out of a saved response as an OpenAPI runtime expression says: `$response.body#/pointer` or
# `$response.header.Name`, either with Schemathesis's `#regex:` suffix (the first group is the value); given a
# third argument, a URL, the value is resolved against it (a relative Location).
# Kept free of single quotes: it is rendered inside them.
READ_FROM_RESPONSE = """from_response() { python3 -c '
import json, re, sys
from urllib.parse import urljoin
step, expression = sys.argv[1], sys.argv[2]
source, _, pattern = expression.partition("#regex:")
if source.startswith("$response.header."):
    name = source[len("$response.header."):].lower() + ":"
    lines = open(step + ".headers", encoding="utf-8").read().splitlines()
    value = [line.split(":", 1)[1].strip() for line in lines if line.lower().startswith(name)][-1]
else:
    value = json.load(open(step + ".body", encoding="utf-8"))
    for token in source.partition("#")[2].split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        value = value[int(token)] if isinstance(value, list) else value[token]
value = re.search(pattern, str(value)).group(1) if pattern else value
print(urljoin(sys.argv[3], str(value)) if len(sys.argv) > 3 else value)
' "$@"; }"""
READABLE = re.compile(r"^\$response\.(body#/.*|header\.[^#]+)(#regex:.+)?$", re.DOTALL)
PLAIN_NAME = re.compile(r"^[A-Za-z0-9._-]+$")


@dataclass(frozen=True)
class Created:
    """A request that made a record (a 201 with a Location): a later finding on that record replays it first."""

    case_id: str
    label: str
    url: str  # where it was sent: a relative Location resolves against it
    case: Any  # the generated case: rendered as curl only if a finding needs it, not for every record made
    headers: dict[str, str]
    verify: bool

    def curl(self, replay: "Replay") -> str:
        return _runnable(self.case.as_curl_command(headers=self.headers, verify=self.verify), replay)


@dataclass(frozen=True)
class Replay:
    """What a reproduction needs besides the requests: the credentials to mask, the CA bundle the run trusted,
    and the records the run made, by the URL their Location named (the first request to make each)."""

    credentials: dict[str, str]
    ca_bundle: str | None = None
    created: dict[str, Created] = field(default_factory=dict)

    def note_creations(self, recorder: Any) -> None:
        """Keep the requests of a finished scenario that made a record, as runnable lines."""
        for case_id, interaction in recorder.interactions.items():
            response, node = interaction.response, recorder.cases.get(case_id)
            if response is None or node is None or response.status_code != CREATED:
                continue
            locations = response.headers.get("location")
            if not locations:
                continue
            url = urljoin(interaction.request.uri, locations[0].strip())
            if url in self.created or len(self.created) >= MAX_CREATIONS_KEPT:
                continue
            headers = {name: values[0] for name, values in interaction.request.headers.items() if values}
            label = f"{node.value.method.upper()} {node.value.operation.path}"
            self.created[url] = Created(case_id, label, interaction.request.uri, node.value, headers, response.verify)


def header_variable(name: str) -> str:
    """The environment variable that stands for the credential header `name` (README: 'Reproducing a finding')."""
    return HEADER_VARIABLE_PREFIX + re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_")


def reproduction(check: Any, recorder: Any, replay: Replay) -> str:
    """The bash lines that replay a failed check (a CheckNode) recorded by `recorder`.

    A first request to a record the run made earlier (outside this scenario) is preceded by the request
    that made it, and sent to the Location the fresh API's answer names. A Location that does not serve
    the created record (our own check) is shown by requesting it, as the check did.
    """
    info = check.failure_info
    steps = info.steps
    if not steps:
        return _runnable(info.code_sample, replay)
    first = recorder.interactions.get(steps[0].case_id)
    made = replay.created.get(first.request.uri.partition("?")[0]) if first is not None else None
    if made is not None and made.case_id == steps[0].case_id:
        made = None  # the request made its own record (a PUT that creates)
    follow_location = check.name == LOCATION_CHECK
    if len(steps) == 1 and made is None and not follow_location:
        return _runnable(steps[0].curl, replay)
    offset = 1 if made is not None else 0
    numbers = {step.case_id: index for index, step in enumerate(steps, 1 + offset)}
    reads = {step.case_id: _links_read(recorder.cases.get(step.case_id), numbers) for step in steps}
    read_from = {number for links in reads.values() for number, _, _ in links.values()}
    read_from |= {1} if made is not None else set()
    read_from |= {len(steps) + offset} if follow_location else set()
    lines = [READ_FROM_RESPONSE] if read_from else []
    if made is not None:
        lines.extend(
            [
                f"# 1. {made.label}, which made the record the next request uses",
                _saving_response(made.curl(replay), "step1"),
            ]
        )
    for index, step in enumerate(steps, 1 + offset):
        on_record = made if index == 2 and made is not None else None
        saved = index in read_from
        lines.extend(_step_lines(index, step, recorder, replay, reads[step.case_id], saved, on_record))
    if follow_location:
        created = recorder.interactions[steps[-1].case_id].request.uri
        lines.extend(_location_lines(len(steps) + offset, created, replay))
    return "\n".join(lines)


def _step_lines(
    index: int,
    step: Any,
    recorder: Any,
    replay: Replay,
    links: dict[str, tuple[int, str, str]],
    saved: bool,
    on_record: Created | None,
) -> list[str]:
    """One numbered request of a chain: what it reads from earlier responses, and the request itself."""
    path = step.path
    curl = _runnable(step.curl, replay)
    interaction = recorder.interactions.get(step.case_id)
    reading = []
    template = recorder.cases[step.case_id].value.operation.path
    if on_record is not None and interaction is not None:
        variable = "record_from_step1"
        curl = _url_from_variable(curl, interaction.request.uri, variable)
        path = template
        expression = f"$(from_response step1 '$response.header.Location' {shlex.quote(on_record.url)})"
        reading.append(f"{variable}={expression}")
    elif links and interaction is not None:
        curl, used = _path_from_variables(curl, interaction.request.uri, template, links)
        for name in used:
            number, variable, expression = links[name]
            path = template  # the run's own id means nothing to a fresh API
            reading.append(f"{variable}=$(from_response step{number} {shlex.quote(expression)})")
    if saved:
        curl = _saving_response(curl, f"step{index}")
    return [f"# {index}. {step.method.upper()} {path}", *reading, curl]


def _url_from_variable(curl: str, url: str, variable: str) -> str:
    """The request sent to the URL in `variable` (a Location read when replayed), with the query it had."""
    command, newline, comments = curl.partition("\n")
    quoted = f" {shlex.quote(url)}"
    if not command.endswith(quoted):
        return curl
    _, mark, query = url.partition("?")
    word = f'"${variable}"' + (shlex.quote(mark + query) if mark else "")
    return command[: -len(quoted)] + " " + word + newline + comments


def _location_lines(created_in: int, created_at: str, replay: Replay) -> list[str]:
    """A GET of the Location the create's response named (resolved against the create's URL)."""
    variable = f"location_from_step{created_in}"
    headers = "".join(f" -H {shlex.quote(f'{name}: {value}')}" for name, value in replay.credentials.items())
    return [
        f"# {created_in + 1}. GET the Location step {created_in}'s response names",
        f"{variable}=$(from_response step{created_in} '$response.header.Location' {shlex.quote(created_at)})",
        _runnable(f'curl -X GET{headers} "${variable}"', replay),
    ]


def _runnable(code_sample: str, replay: Replay) -> str:
    """One request as bash runs it: credentials as variables, HEAD that ends, the trusted CA, notes as comments."""
    command, _, notes = code_sample.partition("\n\n")
    for name, value in replay.credentials.items():
        if value:
            command = command.replace(f" -H {shlex.quote(f'{name}: {value}')}", f" -H {_credential(name)}")
    if command.startswith("curl -X HEAD "):
        command = command.replace("curl -X HEAD ", "curl -X HEAD --head ", 1)
    if replay.ca_bundle and " --insecure" not in command:
        command = command.replace("curl ", f"curl --cacert {shlex.quote(replay.ca_bundle)} ", 1)
    comments = [f"# {line}" for line in notes.splitlines() if line.strip()]
    return "\n".join([command, *comments])


def _credential(name: str) -> str:
    """`Name: $VARIABLE` as one shell word, the variable expanded when run."""
    variable = header_variable(name)
    if PLAIN_NAME.match(name):
        return f'"{name}: ${variable}"'
    return f'{shlex.quote(f"{name}: ")}"${variable}"'


def _links_read(node: Any, numbers: dict[str, int]) -> dict[str, tuple[int, str, str]]:
    """Path parameters this step took from an earlier step's response: name -> (step, variable, expression)."""
    transition = node.transition if node is not None else None
    if transition is None or transition.parent_id not in numbers:
        return {}
    number = numbers[transition.parent_id]
    links = {}
    for name, extracted in transition.parameters.get("path_parameters", {}).items():
        expression = extracted.definition
        if isinstance(extracted.value, Ok) and isinstance(expression, str) and READABLE.match(expression):
            links[name] = (number, f"{re.sub(r'[^A-Za-z0-9_]', '_', name)}_from_step{number}", expression)
    return links


def _path_from_variables(
    curl: str, url: str, template: str, links: dict[str, tuple[int, str, str]]
) -> tuple[str, list[str]]:
    """The request's URL (curl's last word) with each linked path parameter read from its variable, and the
    parameters placed. The URL's last segments are the path template's (a base path may come before)."""
    command, newline, comments = curl.partition("\n")
    quoted = f" {shlex.quote(url)}"
    if not command.endswith(quoted):
        return curl, []
    prefix, _, query = url.partition("?")
    scheme, _, location = prefix.partition("://")
    authority, _, path = location.partition("/")
    segments = path.split("/")
    template_segments = template.strip("/").split("/")
    offset = len(segments) - len(template_segments)
    used = []
    words = []
    literal: list[str] = [f"{scheme}://{authority}"]
    for index, segment in enumerate(segments):
        wanted = template_segments[index - offset] if index >= offset else ""
        name = wanted[1:-1] if wanted.startswith("{") and wanted.endswith("}") else None
        if name in links:
            words.append(shlex.quote("/".join(literal) + "/"))
            words.append(f'"${links[name][1]}"')
            literal = [""]
            used.append(name)
        else:
            literal.append(segment)
    tail = "/".join(literal) + (f"?{query}" if query else "")
    if tail:
        words.append(shlex.quote(tail))
    return command[: -len(quoted)] + " " + "".join(words) + newline + comments, used


def _saving_response(curl: str, name: str) -> str:
    """The step's request, keeping its response (headers and body) for the steps that read it."""
    command, newline, comments = curl.partition("\n")
    return f"{command} -D {name}.headers -o {name}.body{newline}{comments}"
