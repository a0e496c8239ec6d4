"""The pure convergence decision: every branch of decide() and the Change each one is."""

from __future__ import annotations

from narrator.platforms.discord.converge.decide import (
    Adopt,
    Create,
    Patch,
    Repair,
    Unchanged,
    decide,
    describe,
    diff,
    same,
)
from narrator.protocols import Change

DESIRED = {"name": "rules", "topic": "Be kind"}
DECLARED = "fp-now"


def live(**fields: object) -> dict[str, object]:
    return {"id": "7", "name": "rules", "topic": "Be kind", **fields}


def test_nothing_live_and_nothing_stored_is_a_create_showing_every_field() -> None:
    """No live resource, no stored id: Create, each declared field as (None, new)."""
    decision = decide(DESIRED, None, None, None, declared=DECLARED)
    assert decision == Create({"name": (None, "rules"), "topic": (None, "Be kind")})
    assert describe(decision, "channel #rules").action == "create"


def test_a_stored_id_that_is_gone_is_drift_and_recreated() -> None:
    """No live resource but a stored id: deleted out of band — Repair(gone), shown as drift."""
    decision = decide(DESIRED, None, "7", DECLARED, declared=DECLARED)
    assert decision == Repair({"name": (None, "rules"), "topic": (None, "Be kind")}, gone=True)
    change = describe(decision, "channel #rules", gone="deleted out of band; will be recreated")
    assert change.action == "drift"
    assert change.reason == "deleted out of band; will be recreated"


def test_found_by_stored_id_as_declared_is_unchanged() -> None:
    """The stored id's resource, as declared: Unchanged, no fields, no reason."""
    decision = decide(DESIRED, live(), "7", DECLARED, declared=DECLARED)
    assert decision == Unchanged()
    assert describe(decision, "r") == Change("unchanged", "r", {})


def test_found_by_name_as_declared_is_adopted() -> None:
    """Nothing stored, a resource of that name as declared: Adopt (shown unchanged)."""
    decision = decide(DESIRED, live(), None, None, declared=DECLARED)
    assert decision == Adopt()
    assert describe(decision, "r").action == "unchanged"
    assert describe(decision, "r", adopted="adopted it").reason == "adopted it"


def test_a_changed_declaration_is_a_patch_of_the_differing_fields_only() -> None:
    """Found by stored id, differs, fingerprint changed: Patch (update) of the topic only."""
    decision = decide(DESIRED, live(topic="Old"), "7", "fp-before", declared=DECLARED)
    assert decision == Patch({"topic": ("Old", "Be kind")})
    change = describe(decision, "r")
    assert change.action == "update" and change.reason is None


def test_a_differing_resource_adopted_by_name_is_a_patch_that_says_so() -> None:
    """Found by name (not the stored id) and differing: Patch(adopted=True), an update."""
    decision = decide(DESIRED, live(topic="Old"), None, DECLARED, declared=DECLARED)
    assert decision == Patch({"topic": ("Old", "Be kind")}, adopted=True)
    assert describe(decision, "r", adopted="adopted").reason == "adopted"
    assert describe(decision, "r").reason is None


def test_an_out_of_band_change_under_the_same_declaration_is_drift() -> None:
    """Found by stored id, differs, fingerprint unchanged: Repair (drift), patched back."""
    decision = decide(DESIRED, live(topic="Spam"), "7", DECLARED, declared=DECLARED)
    assert decision == Repair({"topic": ("Spam", "Be kind")})
    change = describe(decision, "r", drifted="changed out of band; will be restored")
    assert change == Change(
        "drift", "r", {"topic": ("Spam", "Be kind")}, reason="changed out of band; will be restored"
    )


def test_a_rename_found_by_stored_id_is_drift_even_when_the_declaration_changed() -> None:
    """The stored id's resource under another name was renamed out of band: drift."""
    decision = decide(DESIRED, live(name="anything"), "7", "fp-before", declared=DECLARED)
    assert decision == Repair({"name": ("anything", "rules")})


def test_compare_false_takes_what_exists() -> None:
    """get_or_create: differences are not looked at; found is unchanged or adopted."""
    assert decide(DESIRED, live(topic="x"), "7", None, declared=DECLARED, compare=False) == (
        Unchanged()
    )
    assert decide(DESIRED, live(topic="x"), None, None, declared=DECLARED, compare=False) == (
        Adopt()
    )


def test_show_and_announce_shape_what_plan_shows() -> None:
    """show renders values (a colour); announce replaces what a creation lists."""

    def show(_field: str, value: object) -> object:
        return f"#{int(str(value)):06x}"

    assert decide({"color": 255}, None, None, None, declared=None, show=show) == Create(
        {"color": (None, "#0000ff")}
    )
    assert decide(
        {"content": "hi", "pinned": False},
        None,
        None,
        None,
        declared=None,
        announce={"content": "hi"},
    ) == Create({"content": (None, "hi")})
    assert describe(Create({}), "message m", created="send").action == "send"


def test_same_treats_empty_as_empty_and_compares_bools_as_bools() -> None:
    """None and "" are equal; a missing flag equals False; ids compare as text."""
    assert same(None, "") and same(None, False) and same(7, "7")
    assert not same(True, None) and not same("a", "b")
    assert diff({"nsfw": None, "topic": ""}, {"nsfw": False, "topic": None}) == {}
