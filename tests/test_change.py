"""Change: the typed record of what a command did or would do, and its JSON (plan --json)."""

from __future__ import annotations

import json

from narrator.outcome import ActOutcome
from narrator.protocols import Change


def test_a_convergent_change_lists_fields_as_old_new_pairs_then_its_reason() -> None:
    """fields become [old, new] lists; the reason follows them; no note key when none."""
    change = Change(
        "drift",
        "channel #rules",
        fields={"name": ("anything-goes", "rules")},
        reason="renamed out of band to #anything-goes; will be renamed back",
    )
    assert json.dumps(change.to_json()) == (
        '{"action": "drift", "resource": "channel #rules", '
        '"fields": {"name": ["anything-goes", "rules"]}, '
        '"reason": "renamed out of band to #anything-goes; will be renamed back"}'
    )


def test_a_change_without_a_field_view_has_no_fields_key() -> None:
    """The executor's own changes (a model act, a command known after run) carry no fields."""
    assert Change("model", "model default").to_json() == {
        "action": "model",
        "resource": "model default",
    }
    assert Change("run", "messages.send", note="known after run").to_json() == {
        "action": "run",
        "resource": "messages.send",
        "note": "known after run",
    }


def test_empty_fields_stay_in_the_json() -> None:
    """A platform change with nothing to show field by field still says "fields": {}."""
    assert Change("create", "webhook hook", fields={}).to_json() == {
        "action": "create",
        "resource": "webhook hook",
        "fields": {},
    }


def test_pending_is_anything_but_unchanged() -> None:
    """plan --detailed-exitcode counts every action except unchanged as pending."""
    assert not Change("unchanged", "role Members").pending
    assert all(Change(a, "x").pending for a in ("create", "update", "drift", "send", "pin"))


def test_an_act_outcome_reports_its_changes_as_json() -> None:
    """run --json / plan --json: an act's changes are the records' to_json()."""
    outcome = ActOutcome("a", "done", changes=[Change("create", "role Members", fields={})])
    assert outcome.to_json()["changes"] == [
        {"action": "create", "resource": "role Members", "fields": {}}
    ]
    assert "changes" not in ActOutcome("b", "done").to_json()
