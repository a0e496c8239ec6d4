"""The pure halves of the setup-parity ensures (converge/setup_decide.py), no I/O."""

from __future__ import annotations

import pytest

from narrator.platforms.discord.converge import setup_decide as pure
from narrator.platforms.discord.converge.decide import Patch, Repair, Unchanged, decide

CHANNELS = {
    "1": {"id": "1", "name": "rules", "type": 0},
    "2": {"id": "2", "name": "Lounge", "type": 2},
    "3": {"id": "3", "name": "mod-news", "type": 0},
}


def test_levels_by_name_or_number_and_shown_by_name() -> None:
    assert pure.level("verification_level", "High") == 3
    assert pure.level("verification_level", 4) == 4
    assert pure.level("explicit_content_filter", "all_members") == 2
    assert pure.show_guild_field("default_message_notifications", 1) == "only_mentions"
    with pytest.raises(ValueError, match="none, low, medium, high, very_high"):
        pure.level("verification_level", "extreme")
    with pytest.raises(ValueError):
        pure.level("verification_level", 7)


def test_system_channel_flags_from_names_or_an_integer() -> None:
    names = ["suppress_join_notifications", "suppress_join_notification_replies"]
    assert pure.system_flags(names) == 0b1001
    assert pure.system_flags(5) == 5
    assert pure.flag_names(0b1001) == names
    with pytest.raises(ValueError, match="unknown system_channel_flags name 'loud'"):
        pure.system_flags(["loud"])


def test_channel_references_by_id_or_name_of_the_right_type() -> None:
    assert pure.channel_ref(CHANNELS, "#rules", 0) == "1"
    assert pure.channel_ref(CHANNELS, "Mod News", 0) == "3"  # spelled as Discord stores it
    assert pure.channel_ref(CHANNELS, "2", 2) == "2"
    assert pure.channel_ref(CHANNELS, "", 0) is None
    with pytest.raises(KeyError):
        pure.channel_ref(CHANNELS, "Lounge", 0)  # a voice channel is no system channel


def test_afk_timeout_must_be_one_of_discords_values() -> None:
    assert pure.afk_timeout("300") == 300
    with pytest.raises(ValueError, match="60, 300, 900, 1800, 3600"):
        pure.afk_timeout(120)


def test_icon_compares_by_what_narrator_uploaded() -> None:
    fp = pure.icon_fingerprint("data:image/png;base64,AAAA")
    assert pure.live_icon("abc", f"{fp}:abc") == fp  # still the upload: equal to the declaration
    assert pure.live_icon("def", f"{fp}:abc") == "hash def"  # replaced out of band
    assert pure.live_icon(None, f"{fp}:abc") is None


def test_weakening_lists_removals_and_lowered_levels_only() -> None:
    live = {"icon": "abc", "verification_level": 3, "explicit_content_filter": 1}
    desired = {"icon": None, "verification_level": 1, "explicit_content_filter": 2, "name": "x"}
    assert pure.weakening(live, list(desired), desired) == [
        "remove the server icon",
        "lower verification_level from high to low",
    ]
    assert pure.weakening(live, ["name", "explicit_content_filter"], desired) == []


def test_settings_drift_and_update_are_told_apart_by_the_fingerprint() -> None:
    desired = {"verification_level": 2}
    live = {"id": "9", "verification_level": 0}
    assert isinstance(decide(desired, live, "9", "fp", declared="fp"), Repair)
    assert isinstance(decide(desired, live, "9", "old", declared="fp"), Patch)
    assert isinstance(
        decide(desired, {**live, "verification_level": 2}, "9", "fp", declared="fp"), Unchanged
    )


def test_governed_roles_and_one_field_per_role() -> None:
    roles = {
        "9": {"name": "@everyone"},
        "10": {"name": "bot", "managed": True},
        "11": {"name": "Members"},
        "12": {"name": "Trial"},
        "13": {"name": "Artists"},
    }
    assert pure.governed(["11"], ["12"], False, roles, "9") == ["11", "12"]
    assert pure.governed(["11"], None, True, roles, "9") == ["11", "12", "13"]
    names = {rid: r["name"] for rid, r in roles.items()}
    desired, live = pure.role_fields(["11", "12"], ["11"], ["12", "13"], names)
    assert desired == {"Members": True, "Trial": False}
    assert live == {"Members": False, "Trial": True}


def test_declared_tags_normalise_like_discords_and_keep_ids_by_name() -> None:
    declared = pure.declared_tags(["Bug", {"name": "Idea", "emoji": "💡", "moderated": True}])
    assert declared == [
        {"name": "Bug", "moderated": False, "emoji_id": None, "emoji_name": None},
        {"name": "Idea", "moderated": True, "emoji_id": None, "emoji_name": "💡"},
    ]
    live = [
        {"id": "5", "name": "Idea", "moderated": True, "emoji_id": None, "emoji_name": "💡"},
        {"id": "6", "name": "Old", "moderated": False, "emoji_id": None, "emoji_name": None},
    ]
    assert pure.live_tags(live)[0] == declared[1]
    sent = pure.tags_payload(declared, live)
    assert "id" not in sent[0] and sent[1]["id"] == "5"
    assert pure.show_forum_field("available_tags", declared) == ["Bug", "💡 Idea *"]
    with pytest.raises(ValueError, match="same name"):
        pure.declared_tags(["Bug", "Bug"])


def test_emoji_unicode_or_custom() -> None:
    assert pure.emoji("👍") == {"emoji_id": None, "emoji_name": "👍"}
    assert pure.emoji("<:party:123>") == {"emoji_id": "123", "emoji_name": None}
    assert pure.emoji("party:123") == {"emoji_id": "123", "emoji_name": None}
    assert pure.emoji("") is None
    assert pure.live_emoji({"emoji_id": "0", "emoji_name": None}) is None


def test_pick_invite_prefers_the_stored_then_the_bots_then_the_oldest() -> None:
    day = pure.invite_settings(None, None, False)
    assert day == {"max_age": 86400, "max_uses": 0, "temporary": False}
    theirs = {"code": "a", "max_age": 86400, "max_uses": 0, "temporary": False,
              "inviter": {"id": "u"}, "created_at": "2026-01-01"}  # fmt: skip
    mine = {**theirs, "code": "b", "inviter": {"id": "bot"}, "created_at": "2026-02-01"}
    other = {**theirs, "code": "c", "max_age": 0}
    assert pure.pick_invite([theirs, mine, other], day, None, "bot") == (mine, False)
    assert pure.pick_invite([theirs, mine], day, "a", "bot") == (theirs, True)
    # the stored invite exists but the declaration changed: not it, and say it is alive
    assert pure.pick_invite([other], day, "c", "bot") == (None, True)
    assert pure.pick_invite([], day, "gone", "bot") == (None, False)
    with pytest.raises(ValueError, match="max_uses"):
        pure.invite_settings(0, 101, False)
