"""Human-readable API docs, rendered on the server from the OpenAPI contracts we serve.

``/docs`` lists every contract in ``tessera.api.contract.CONTRACTS``; ``/docs/{name}`` shows one:
each operation's method, path, summary, description, parameters, request body fields and
responses. No script and no CDN: one inline style sheet, allowed by its hash.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

from markdown_it import MarkdownIt
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from tessera.api.contract import CONTRACTS, load_contract
from tessera.web.i18n import environment

METHODS = ("get", "put", "post", "patch", "delete", "head", "options")
# Request bodies are shown in full up to this nesting; responses only to their first levels
# (Stripe's objects nest expandable objects many levels deep).
REQUEST_DEPTH = 4
RESPONSE_DEPTH = 2
MAX_ROWS = 200

# Raw HTML in descriptions is escaped, not passed through; markdown-it also refuses
# javascript: links.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_CSS = files("tessera.web").joinpath("static", "docs.css").read_text(encoding="utf-8")
_CSS_HASH = base64.b64encode(hashlib.sha256(_CSS.encode()).digest()).decode()
_POLICY = (
    f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


# Stripe's descriptions are HTML paragraphs with inline code: these two tags become their
# Markdown, so they read as text; every other tag is still escaped.
_PARAGRAPH = re.compile(r"</?p>")
_CODE = re.compile(r"<code>([^<`]*)</code>")


def markdown(text: str | None) -> Markup:
    source = _CODE.sub(r"`\1`", _PARAGRAPH.sub("\n\n", text or ""))
    return Markup(_markdown.render(source))  # noqa: S704 - markdown-it escapes raw HTML


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    depth: int
    type: str
    required: bool
    description: str
    constraints: list[str]


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    location: str
    required: bool
    type: str
    description: str
    constraints: list[str]


@dataclass(frozen=True, slots=True)
class Body:
    content_type: str
    schema_name: str | None
    type: str
    fields: list[Field]
    truncated: bool


@dataclass(frozen=True, slots=True)
class ResponseDoc:
    status: str
    description: str
    body: Body | None


@dataclass(frozen=True, slots=True)
class Operation:
    anchor: str
    method: str
    path: str
    summary: str
    description: str
    operation_id: str
    deprecated: bool
    parameters: list[Parameter]
    request_body: Body | None
    request_body_required: bool
    responses: list[ResponseDoc]


@dataclass(frozen=True, slots=True)
class Section:
    tag: str
    operations: list[Operation] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ContractDoc:
    name: str
    title: str
    version: str
    description: str
    servers: list[str]
    sections: list[Section]

    @property
    def operation_count(self) -> int:
        return sum(len(section.operations) for section in self.sections)


class _Schemas:
    """Resolves ``$ref``s within one document and describes schemas as rows of fields."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def resolve(self, node: Any) -> tuple[dict[str, Any], str | None]:
        """The schema behind ``node`` (following refs) and the name of the last ref, if any."""
        name = None
        seen: set[str] = set()
        while isinstance(node, dict) and "$ref" in node and node["$ref"] not in seen:
            ref = node["$ref"]
            seen.add(ref)
            name = ref.rsplit("/", 1)[-1]
            target: Any = self.document
            for part in ref.lstrip("#/").split("/"):
                target = target.get(part.replace("~1", "/").replace("~0", "~"), {})
            node = target
        return (node if isinstance(node, dict) else {}), name

    def type_of(self, node: Any) -> str:
        schema, name = self.resolve(node)
        for combinator in ("oneOf", "anyOf"):
            if combinator in schema:
                return " | ".join(self.type_of(option) for option in schema[combinator])
        if "allOf" in schema and len(schema["allOf"]) == 1:
            return self.type_of(schema["allOf"][0])
        kind = schema.get("type")
        if isinstance(kind, list):
            names = [self.type_of({**schema, "type": k}) if k == "array" else str(k) for k in kind]
            text = " | ".join(names)
        elif kind == "array":
            text = f"array of {self.type_of(schema.get('items', {}))}"
        elif kind == "object" and name:
            text = name
        else:
            text = str(kind or name or "any")
        if schema.get("nullable"):
            text += " | null"
        return text

    def properties(self, schema: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
        """Properties and required names, merging ``allOf`` parts."""
        props: dict[str, Any] = dict(schema.get("properties", {}))
        required = set(schema.get("required", []))
        for part in schema.get("allOf", []):
            sub, _ = self.resolve(part)
            sub_props, sub_required = self.properties(sub)
            props.update(sub_props)
            required |= sub_required
        return props, required

    def fields(self, node: Any, max_depth: int) -> tuple[list[Field], bool]:
        rows: list[Field] = []
        truncated = False

        def walk(node: Any, prefix: str, depth: int, trail: frozenset[str]) -> None:
            nonlocal truncated
            schema, name = self.resolve(node)
            if schema.get("type") == "array" or "items" in schema:
                schema, name = self.resolve(schema.get("items", {}))
                prefix = f"{prefix}[]" if prefix else prefix
            if name and name in trail:
                return  # a recursive schema: shown once
            trail = trail | {name} if name else trail
            props, required = self.properties(schema)
            for prop, sub in props.items():
                if len(rows) >= MAX_ROWS:
                    truncated = True
                    return
                resolved, _ = self.resolve(sub)
                rows.append(
                    Field(
                        name=f"{prefix}.{prop}" if prefix else prop,
                        depth=depth,
                        type=self.type_of(sub),
                        required=prop in required,
                        description=str(resolved.get("description") or ""),
                        constraints=constraints(resolved),
                    )
                )
                if depth + 1 < max_depth:
                    walk(sub, f"{prefix}.{prop}" if prefix else prop, depth + 1, trail)
                elif self._has_children(sub):
                    truncated = True

        walk(node, "", 0, frozenset())
        return rows, truncated

    def _has_children(self, node: Any) -> bool:
        schema, _ = self.resolve(node)
        if "items" in schema:
            schema, _ = self.resolve(schema["items"])
        return bool(self.properties(schema)[0])

    def body(self, content_type: str, media: dict[str, Any], max_depth: int) -> Body:
        node = media.get("schema", {})
        _, name = self.resolve(node)
        rows, truncated = self.fields(node, max_depth)
        return Body(
            content_type=content_type,
            schema_name=name,
            type=self.type_of(node),
            fields=rows,
            truncated=truncated,
        )


def constraints(schema: dict[str, Any]) -> list[str]:
    out: list[str] = []
    if "enum" in schema:
        out.append("one of: " + ", ".join(repr(v) if v is None else str(v) for v in schema["enum"]))
    if "const" in schema:
        out.append(f"always {schema['const']}")
    for key, label in (
        ("format", "format"),
        ("pattern", "pattern"),
        ("minLength", "min length"),
        ("maxLength", "max length"),
        ("minimum", "minimum"),
        ("maximum", "maximum"),
        ("minItems", "min items"),
        ("maxItems", "max items"),
    ):
        if key in schema:
            out.append(f"{label} {schema[key]}")
    if "default" in schema:
        out.append(f"default {schema['default']}")
    return out


def _anchor(method: str, path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", f"{method} {path}".lower()).strip("-")


@cache
def contract_doc(name: str) -> ContractDoc:
    document = load_contract(name)
    schemas = _Schemas(document)
    info = document.get("info", {})
    sections: dict[str, Section] = {}
    for path, item in document.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            parameters = []
            for raw in [*shared, *op.get("parameters", [])]:
                param, _ = schemas.resolve(raw)
                schema, _ = schemas.resolve(param.get("schema", {}))
                parameters.append(
                    Parameter(
                        name=str(param.get("name", "")),
                        location=str(param.get("in", "")),
                        required=bool(param.get("required")),
                        type=schemas.type_of(param.get("schema", {})),
                        description=str(param.get("description") or ""),
                        constraints=constraints(schema),
                    )
                )
            request_body = None
            body_required = False
            if "requestBody" in op:
                raw_body, _ = schemas.resolve(op["requestBody"])
                body_required = bool(raw_body.get("required"))
                content = raw_body.get("content", {})
                if content:
                    content_type = next(iter(content))
                    request_body = schemas.body(content_type, content[content_type], REQUEST_DEPTH)
            responses = []
            for status, raw_response in op.get("responses", {}).items():
                response, _ = schemas.resolve(raw_response)
                content = response.get("content", {})
                body = None
                if content:
                    content_type = next(iter(content))
                    body = schemas.body(content_type, content[content_type], RESPONSE_DEPTH)
                responses.append(
                    ResponseDoc(
                        status=str(status),
                        description=str(response.get("description") or ""),
                        body=body,
                    )
                )
            tag = (op.get("tags") or ["operations"])[0]
            section = sections.setdefault(tag, Section(tag=tag))
            section.operations.append(
                Operation(
                    anchor=_anchor(method, path),
                    method=method.upper(),
                    path=path,
                    summary=str(op.get("summary") or ""),
                    description=str(op.get("description") or ""),
                    operation_id=str(op.get("operationId") or ""),
                    deprecated=bool(op.get("deprecated")),
                    parameters=parameters,
                    request_body=request_body,
                    request_body_required=body_required,
                    responses=responses,
                )
            )
    return ContractDoc(
        name=name,
        title=str(info.get("title") or name),
        version=str(info.get("version") or ""),
        description=str(info.get("description") or ""),
        servers=[str(server.get("url")) for server in document.get("servers", [])],
        sections=list(sections.values()),
    )


def _page(template: str, status: int = 200, **context: Any) -> Response:
    html = (
        environment("en")
        .get_template(template)
        .render(
            css=Markup(_CSS),  # noqa: S704 - our own style sheet, read from the package
            markdown=markdown,
            **context,
        )
    )
    return HTMLResponse(html, status, headers={"Content-Security-Policy": _POLICY})


def _summary(text: str) -> str:
    """The first paragraph of a description, for the index."""
    return text.strip().split("\n\n", 1)[0]


async def index(request: Request) -> Response:
    contracts = [contract_doc(name) for name in CONTRACTS]
    return _page("docs_index.html", contracts=contracts, summary=_summary)


async def contract_page(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in CONTRACTS:
        return _page("docs_missing.html", 404, name=name, names=list(CONTRACTS))
    return _page("docs_contract.html", doc=contract_doc(name))
