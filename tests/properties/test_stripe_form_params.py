"""Property: what stripe-python encodes, Tessera's form decoder reads back as it was meant.

Nested parameters (objects, lists, strings with any Unicode, integers, booleans) are encoded by
the SDK's own encoder, exactly as its requestor builds a body, then decoded and checked against
a schema drawn beside them; the result must equal the parameters the SDK was given.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from hypothesis import given, settings
from hypothesis import strategies as st
from stripe._encode import _api_encode

from tessera.api.stripe.params import decode_form, validate

Schema = dict[str, Any]


def stripe_python_body(params: dict[str, Any]) -> str:
    """The SDK's body: its requestor urlencodes ``_api_encode`` and puts the brackets back."""
    return urlencode(list(_api_encode(params))).replace("%5B", "[").replace("%5D", "]")


# Parameter names as Stripe has them: any text but brackets (the syntax itself) and NUL (refused
# in keys as in values); names of ASCII digits often, since ``metadata[0]=x`` is the hash's key
# "0" (not a list) when the schema says hash.
NAMES = st.one_of(
    st.text(
        st.characters(exclude_characters="[]\x00", exclude_categories=("Cs",)),
        min_size=1,
        max_size=10,
    ),
    st.integers(min_value=0, max_value=20).map(str),
)
# Tessera refuses NUL in every string (PostgreSQL text cannot hold it), by design.
TEXT = st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=20)
SCALARS: list[Schema] = [{"type": "string"}, {"type": "integer"}]


def schemas(depth: int) -> st.SearchStrategy[Schema]:
    # stripe-python writes booleans as "true"/"false" only where they are a hash's values
    # (in a list it writes "True"): list items are strings, integers or hashes.
    leaves = st.sampled_from([*SCALARS, {"type": "boolean"}])
    if depth == 0:
        return leaves
    items = st.one_of(st.sampled_from(SCALARS), object_schemas(depth - 1), arrays_of_scalars())
    arrays = items.map(lambda item: {"type": "array", "items": item})
    return st.one_of(leaves, object_schemas(depth - 1), arrays)


def arrays_of_scalars() -> st.SearchStrategy[Schema]:
    return st.sampled_from(SCALARS).map(lambda item: {"type": "array", "items": item})


def object_schemas(depth: int) -> st.SearchStrategy[Schema]:
    fields = st.dictionaries(NAMES, schemas(depth), min_size=1, max_size=4)
    return fields.map(lambda properties: {"type": "object", "properties": properties})


def values(schema: Schema) -> st.SearchStrategy[Any]:
    match schema["type"]:
        case "string":
            return TEXT
        case "integer":
            return st.integers(min_value=-(10**15), max_value=10**15)
        case "boolean":
            return st.booleans()
        case "array":
            return st.lists(values(schema["items"]), min_size=1, max_size=4)
        case _:
            return st.fixed_dictionaries({k: values(s) for k, s in schema["properties"].items()})


@st.composite
def nested_params(draw: st.DrawFn) -> tuple[Schema, dict[str, Any]]:
    schema = draw(object_schemas(depth=3))
    return schema, draw(values(schema))


@settings(max_examples=300, derandomize=True, deadline=None, database=None)
@given(nested_params())
def test_the_form_decoder_reads_back_what_stripe_python_encodes(
    drawn: tuple[Schema, dict[str, Any]],
) -> None:
    schema, params = drawn
    assert validate(schema, decode_form(stripe_python_body(params))) == params
