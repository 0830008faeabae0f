"""Schemathesis against a service's own OpenAPI, over real HTTP to a live server.

Requests are generated from the schema (valid ones and deliberately invalid ones), sent as one
of a few real callers or with the random token schemathesis makes up (or none, where it leaves
the header out on purpose), and every answer is checked: no 5xx, the status, content type,
headers and body are the ones the schema documents, invalid input is refused, and every error
is an RFC 9457 problem.

The services run in the test's event loop; schemathesis and hypothesis are synchronous, so a
fuzzing run happens in a worker thread (`asyncio.to_thread(fuzz, ...)`) while the loop serves.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode, Response
from schemathesis.checks import CheckContext
from schemathesis.core.failures import FailureGroup

PROBLEM_MEDIA_TYPE = "application/problem+json"


@dataclass(frozen=True)
class Caller:
    """Who sends the generated requests: a name for reports, and the headers that say so."""

    name: str
    headers: Mapping[str, str] = field(default_factory=dict)


# The schema's own: schemathesis sends a random bearer token, so every request it makes is refused.
GENERATED_TOKEN = Caller("a generated token")


def _headers_for(case: Case, caller: Caller) -> dict[str, str]:
    """The caller's headers, unless the case spoils its Authorization on purpose (negative mode
    leaves it out or malforms it): sending a real token then would undo the spoiling."""
    authorization = str((case.headers or {}).get("Authorization", ""))
    return dict(caller.headers) if authorization.startswith("Bearer ") else {}


def errors_are_problems(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Every 4xx/5xx is application/problem+json with `type`, `title`, `detail` and its `status`."""
    if response.status_code < 400 or "text/html" in response.request.headers.get("accept", ""):
        return None  # a browser asking for a page gets an HTML error page (the answer links)
    media = response.headers.get("content-type", [""])[0].split(";")[0].strip()
    assert media == PROBLEM_MEDIA_TYPE, f"a {response.status_code} answered {media or 'no content type'}"
    body = json.loads(response.content)
    assert isinstance(body, dict), "a problem is a JSON object"
    assert all(isinstance(body.get(member), str) for member in ("type", "title", "detail")), body
    assert body.get("status") == response.status_code, body
    return None


@dataclass(frozen=True)
class FuzzPlan:
    """What to send to one service: its schema, where it runs, as whom, and how much."""

    schema: Any  # schemathesis' OpenApiSchema
    base_url: str
    callers: tuple[Caller, ...]
    examples: int = 25
    known_values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # by parameter name
    excluded_checks: tuple[Any, ...] = ()
    adjust: Callable[[Case], None] | None = None  # a last change to each case before it is sent


@dataclass
class FuzzReport:
    """What a run found: failures (one text each) and how often each operation answered each status."""

    failures: list[str] = field(default_factory=list)
    answers: Counter[tuple[str, int]] = field(default_factory=Counter)

    def statuses(self, label: str) -> set[int]:
        return {status for (operation, status) in self.answers if operation == label}


def load_schema(openapi: dict[str, Any]) -> Any:
    """A schemathesis schema from an OpenAPI document (as the app serves it at /openapi.json)."""
    return schemathesis.openapi.from_dict(openapi)


def _known(parameters: Any, known: Mapping[str, tuple[str, ...]]) -> dict[str, st.SearchStrategy[str]]:
    return {p.name: st.sampled_from(known[p.name]) for p in parameters if known.get(p.name)}


def _cases(operation: Any, mode: GenerationMode, known: Mapping[str, tuple[str, ...]]) -> st.SearchStrategy[Case]:
    generated = operation.as_strategy(generation_mode=mode)
    path, query = _known(operation.path_parameters, known), _known(operation.query, known)
    if mode is GenerationMode.NEGATIVE or not (path or query):
        return generated
    # Also ask for things that exist, so the answers that carry data are checked too.
    fixed = st.tuples(st.fixed_dictionaries(path), st.fixed_dictionaries(query))
    return st.one_of(generated, fixed.flatmap(lambda values: operation.as_strategy(
        generation_mode=mode, path_parameters=values[0] or None, query=values[1] or None)))


def _fuzz_operation(plan: FuzzPlan, operation: Any, mode: GenerationMode, session: requests.Session,
                    report: FuzzReport) -> None:
    @settings(max_examples=plan.examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=_cases(operation, mode, plan.known_values), caller=st.sampled_from(plan.callers))
    def one_request(case: Case, caller: Caller) -> None:
        if plan.adjust is not None:
            plan.adjust(case)
        response = case.call_and_validate(
            base_url=plan.base_url, session=session, headers=_headers_for(case, caller), timeout=30,
            additional_checks=[errors_are_problems], excluded_checks=list(plan.excluded_checks))
        report.answers[(operation.label, response.status_code)] += 1

    one_request()


def _takes_input(operation: Any) -> bool:
    return bool(operation.body) or any(True for _ in operation.iter_parameters())


def fuzz(plan: FuzzPlan) -> FuzzReport:
    """Send generated requests to every operation, valid and invalid ones; what was found."""
    report = FuzzReport()
    with requests.Session() as session:
        for result in plan.schema.get_all_operations():
            operation = result.ok()
            # Invalid input needs some input to spoil: /healthz and the like are only asked.
            modes = list(GenerationMode) if _takes_input(operation) else [GenerationMode.POSITIVE]
            for mode in modes:
                try:
                    _fuzz_operation(plan, operation, mode, session, report)
                except Unsatisfiable:
                    # Only strings go in a path: a free-form path parameter (a link's token) has no
                    # invalid value, so there is nothing to send in negative mode.
                    if mode is GenerationMode.POSITIVE:
                        raise
                except (Exception, FailureGroup) as failure:  # collected: one run reports every operation
                    report.failures.append(f"{operation.label} [{mode.value}]: {failure}")
    return report
