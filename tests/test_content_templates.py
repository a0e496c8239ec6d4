"""The shipped Botticelli templates (narrator/content/templates/*.json): valid JSON Schemas
(checked with the jsonschema library, not only narrator's subset) that narrator's own
validator and the sandbox model's placeholder agree with."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from narrator import structured
from narrator.content import templates

# the templates Botticelli's narratives and NARRATIVE_TOML_SPEC name, and its post tables' shape
EXPECTED = {
    "discord_channels",
    "discord_guild_members",
    "discord_guilds",
    "discord_posts",
    "discord_roles",
    "discord_users",
}


def test_names_lists_every_shipped_template_sorted() -> None:
    assert set(templates.names()) == EXPECTED
    assert list(templates.names()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_template_is_a_valid_json_schema_of_an_object(name: str) -> None:
    schema = templates.load(name)
    Draft202012Validator.check_schema(schema)
    assert schema["type"] == "object" and schema["title"] == name
    assert set(schema["required"]) <= set(schema["properties"])
    for field, sub in schema["properties"].items():
        assert sub.get("description"), f"{name}.{field} has no description for the prompt"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_sandbox_placeholder_of_each_template_passes_both_validators(name: str) -> None:
    """A sandbox rehearsal of a templated narrative stores what the template accepts."""
    schema = templates.load(name)
    item = structured.placeholder(schema)
    assert structured.validate(item, schema) == []
    assert list(Draft202012Validator(schema).iter_errors(item)) == []


def test_a_guild_missing_its_owner_and_a_bad_level_fails_with_each_problem() -> None:
    schema = templates.load("discord_guilds")
    good = {"id": "123456789012345678", "name": "Rustaceans", "owner_id": 123456789012345679}
    assert structured.validate(good, schema) == []
    bad = {"id": "12ab", "name": "x", "verification_level": 9}
    problems = structured.validate(bad, schema)
    assert "$: missing required field 'owner_id'" in problems
    assert any(p.startswith("$.id: does not match") for p in problems)
    assert any(p.startswith("$.verification_level: 9 is more than") for p in problems)


def test_a_channel_type_outside_discords_kinds_is_refused() -> None:
    schema = templates.load("discord_channels")
    problems = structured.validate({"id": 123456789012345678, "channel_type": "text"}, schema)
    assert problems and problems[0].startswith('$.channel_type: "text" is not one of')


def test_a_post_is_between_10_and_2000_characters() -> None:
    schema = templates.load("discord_posts")
    assert structured.validate({"text_content": "Hello, Rustaceans!"}, schema) == []
    assert structured.validate({"text_content": "short"}, schema) == [
        "$.text_content: shorter than 10 characters"
    ]
    assert structured.validate({"text_content": "x" * 2001}, schema) == [
        "$.text_content: longer than 2000 characters"
    ]


def test_load_returns_a_copy_the_caller_may_change() -> None:
    first = templates.load("discord_users")
    first["required"].append("avatar")
    assert "avatar" not in templates.load("discord_users")["required"]


def test_an_unknown_template_names_the_closest_one_or_lists_them() -> None:
    with pytest.raises(templates.UnknownTemplate) as close:
        templates.load("discord_guild")
    assert str(close.value) == "no template 'discord_guild'; did you mean 'discord_guilds'?"
    assert isinstance(close.value, LookupError)
    with pytest.raises(templates.UnknownTemplate) as far:
        templates.load("social_media_posts")
    assert str(far.value).startswith("no template 'social_media_posts'; templates: discord_")
