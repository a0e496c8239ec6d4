"""Discord's OpenAPI description as a checker: which operation a request is, and what is
wrong with a request or an answer (pure: no I/O beyond reading the spec file once).

The spec is Discord's own ``openapi.json`` (v10, OpenAPI 3.1 → JSON Schema 2020-12),
kept beside the repository in ``../shared/discord-api-spec/`` (present in CI).
``DiscordSpec.operation`` matches a path below ``/api/v10`` to a path template
(literal segments win over placeholders, as Discord routes them);
``request_problems`` and ``response_problems`` return readable problems, empty when
the exchange conforms. Deliberate deviations are not decided here: the contract
test passes them in (``Relax``) beside the rule each one relaxes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = ROOT.parent / "shared" / "discord-api-spec" / "openapi.json"
_URI = "urn:discord-openapi"
METHODS = ("get", "put", "post", "patch", "delete")
RATE_LIMIT_HEADERS = (
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "X-RateLimit-Reset-After",
    "X-RateLimit-Bucket",
)

# A relaxation: (where, path template, problem) -> allowed. ``where`` is "request" or
# "response"; the test documents each one it passes in.
Relax = Callable[[str, str, "Problem"], bool]


@dataclass(frozen=True)
class Problem:
    """One way an instance differs from its schema."""

    path: str  # JSON path in the instance ("$.roles[0].colors")
    keyword: str  # the failing JSON-Schema keyword ("required", "type", ...)
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class Operation:
    """One method of one path template."""

    template: str  # "/channels/{channel_id}/messages/{message_id}"
    method: str  # "GET"
    pointer: str  # JSON pointer of the operation object in the spec
    node: Mapping[str, Any] = field(repr=False)
    path_node: Mapping[str, Any] = field(repr=False)

    @property
    def operation_id(self) -> str:
        return str(self.node.get("operationId", ""))

    @property
    def deprecated(self) -> bool:
        return bool(self.node.get("deprecated")) or self.operation_id.startswith("deprecated")

    @property
    def parameters(self) -> list[Mapping[str, Any]]:
        return [*self.path_node.get("parameters", []), *self.node.get("parameters", [])]


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


class DiscordSpec:
    """The spec document, its operations, and validators over its schemas."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        resource = Resource.from_contents(dict(document), default_specification=DRAFT202012)
        self.registry: Registry[Any] = Registry().with_resource(_URI, resource)
        self._validators: dict[str, Draft202012Validator] = {}
        ops: list[tuple[tuple[int, int], re.Pattern[str], Operation]] = []
        for template, path_node in document["paths"].items():
            segments = template.strip("/").split("/")
            pattern = "".join(
                "/[^/]+" if s.startswith("{") and s.endswith("}") else "/" + re.escape(s)
                for s in segments
            )
            literal = sum(1 for s in segments if not s.startswith("{"))
            for method in METHODS:
                if method in path_node:
                    op = Operation(
                        template,
                        method.upper(),
                        f"/paths/{_escape(template)}/{method}",
                        path_node[method],
                        path_node,
                    )
                    ops.append(((len(segments), literal), re.compile(pattern + "$"), op))
        # the most literal template first: /messages/pins before /messages/{message_id}
        ops.sort(key=lambda item: item[0][1], reverse=True)
        self._ops = ops

    @classmethod
    def load(cls, path: Path = SPEC_PATH) -> DiscordSpec:
        if not path.is_file():
            raise FileNotFoundError(
                f"Discord's OpenAPI spec is not at {path}; put discord-api-spec/openapi.json "
                "in ../shared/ beside the checkout (CI does)"
            )
        return cls(json.loads(path.read_text(encoding="utf-8")))

    # ------------------------------------------------------------------ lookup
    def operation(self, method: str, path: str) -> Operation | None:
        """The operation of ``METHOD path`` (path below /api/v10, no query), else None."""
        for _, pattern, op in self._ops:
            if op.method == method.upper() and pattern.match(path):
                return op
        return None

    def allows_path(self, path: str) -> bool:
        """Whether any method of any template matches ``path`` (405 vs 404)."""
        return any(pattern.match(path) for _, pattern, _ in self._ops)

    def path_params(self, op: Operation, path: str) -> dict[str, str]:
        names = re.findall(r"{([^}]+)}", op.template)
        regex = re.sub(r"{[^}]+}", "([^/]+)", op.template)
        found = re.match(regex + "$", path)
        return dict(zip(names, found.groups(), strict=True)) if found else {}

    def resolve(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        """``node`` with a local ``$ref`` followed (responses, parameters)."""
        while "$ref" in node:
            ref = str(node["$ref"]).removeprefix("#/")
            target: Any = self.document
            for part in ref.split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    # ------------------------------------------------------------------ validation
    def validator(self, pointer: str) -> Draft202012Validator:
        """A validator for the schema at JSON pointer ``pointer`` of the spec."""
        if pointer not in self._validators:
            self._validators[pointer] = Draft202012Validator(
                {"$ref": f"{_URI}#{pointer}"}, registry=self.registry
            )
        return self._validators[pointer]

    def problems(self, pointer: str, instance: Any) -> list[Problem]:
        """Every way ``instance`` differs from the schema at ``pointer`` (innermost errors)."""
        out: list[Problem] = []
        for error in self.validator(pointer).iter_errors(instance):
            out.extend(_leaves(error))
        return sorted(set(out), key=lambda p: (p.path, p.keyword, p.message))

    def request_problems(
        self,
        op: Operation,
        path: str,
        query: Mapping[str, list[str]],
        body: Any,
        relax: Relax | None = None,
    ) -> list[Problem]:
        """Path parameters, query parameters and the JSON body of a request."""
        out: list[Problem] = []
        params = {
            (p["in"], p["name"]): (i, p)
            for i, p in ((i, self.resolve(p)) for i, p in enumerate(op.parameters))
        }
        for name, value in self.path_params(op, path).items():
            found = params.get(("path", name))
            if found is not None and "schema" in found[1]:
                out.extend(self._param(op, found[0], value, f"path {name}"))
        for name, values in query.items():
            found = params.get(("query", name))
            if found is None:
                out.append(Problem(f"query {name}", "parameters", "not a documented parameter"))
                continue
            for value in values:
                out.extend(self._param(op, found[0], value, f"query {name}"))
        for (where, name), (_, p) in params.items():
            if where == "query" and p.get("required") and name not in query:
                out.append(Problem(f"query {name}", "required", "required parameter missing"))
        request_body = op.node.get("requestBody")
        if body is not None:
            content = self.resolve(request_body or {}).get("content", {})
            if "application/json" not in content:
                out.append(Problem("$", "requestBody", "the operation takes no JSON body"))
            else:
                pointer = f"{op.pointer}/requestBody/content/application~1json/schema"
                out.extend(self.problems(pointer, body))
        elif request_body and self.resolve(request_body).get("required"):
            out.append(Problem("$", "requestBody", "the operation requires a body"))
        return [p for p in out if not (relax and relax("request", op.template, p))]

    def _param(self, op: Operation, index: int, raw: str, label: str) -> list[Problem]:
        """A path/query value (always text on the wire) against its schema: it conforms
        when the text, or the integer/boolean it spells, validates."""
        pointer = _param_pointer(op, index)
        candidates: list[Any] = [raw]
        if re.fullmatch(r"-?\d+", raw):
            candidates.append(int(raw))
        if raw in ("true", "false"):
            candidates.append(raw == "true")
        results = [self.problems(pointer, c) for c in candidates]
        if any(not r for r in results):
            return []
        return [Problem(label, p.keyword, f"{raw!r}: {p.message}") for p in results[0]]

    def response_node(self, op: Operation, status: int) -> Mapping[str, Any] | None:
        responses = op.node.get("responses", {})
        for key in (str(status), f"{status // 100}XX", "default"):
            if key in responses:
                return self.resolve(responses[key])
        return None

    def response_problems(
        self,
        op: Operation,
        status: int,
        headers: Mapping[str, str],
        body: Any,
        relax: Relax | None = None,
    ) -> list[Problem]:
        """The answer's status is documented, its JSON body matches that status's schema,
        and it carries the rate-limit headers."""
        out: list[Problem] = []
        for name in RATE_LIMIT_HEADERS:
            if name not in headers:
                out.append(Problem(f"header {name}", "headers", "missing"))
        node = self.response_node(op, status)
        if node is None:
            out.append(Problem("status", "responses", f"{status} is not a documented answer"))
            return out
        content = node.get("content", {})
        if "application/json" not in content:
            if body is not None:
                out.append(Problem("$", "content", f"{status} has no body in the spec"))
            return out
        if body is None:
            out.append(Problem("$", "content", f"{status} needs a JSON body"))
            return out
        out.extend(self._problems_at(op, status, content["application/json"], body))
        return [p for p in out if not (relax and relax("response", op.template, p))]

    def _problems_at(
        self, op: Operation, status: int, media: Mapping[str, Any], body: Any
    ) -> list[Problem]:
        schema = media.get("schema", {})
        if "$ref" in schema:
            return self.problems(str(schema["$ref"]).removeprefix("#"), body)
        responses = op.node.get("responses", {})
        key = next(k for k in (str(status), f"{status // 100}XX", "default") if k in responses)
        return self.problems(f"{op.pointer}/responses/{key}/content/application~1json/schema", body)


def _param_pointer(op: Operation, index: int) -> str:
    own = len(op.path_node.get("parameters", []))
    if index < own:
        base = op.pointer.rsplit("/", 1)[0]
        return f"{base}/parameters/{index}/schema"
    return f"{op.pointer}/parameters/{index - own}/schema"


def _leaves(error: Any) -> Iterable[Problem]:
    """The innermost errors: a ``oneOf``/``anyOf`` failure reports its closest branch."""
    if error.context:
        best = min(error.context, key=lambda e: (len(list(_flat(e))), -len(e.absolute_path)))
        by_branch: dict[Any, list[Any]] = {}
        for sub in error.context:
            by_branch.setdefault(sub.schema_path[0] if sub.schema_path else None, []).append(sub)
        branch = min(by_branch.values(), key=lambda errs: sum(len(list(_flat(e))) for e in errs))
        for sub in branch or [best]:
            yield from _leaves(sub)
        return
    path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    yield Problem(path, str(error.validator), error.message[:300])


def _flat(error: Any) -> Iterable[Any]:
    if not error.context:
        yield error
        return
    for sub in error.context:
        yield from _flat(sub)
