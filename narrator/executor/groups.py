"""Which acts may run at the same time: consecutive independent model acts. Pure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from narrator import interpolate

if TYPE_CHECKING:
    from narrator.plan import Act, Plan

__all__ = ["independent_groups"]


def independent_groups(plan: Plan, dry_run: bool = False) -> list[list[Act]]:
    """The acts in order, consecutive independent model acts grouped together.

    With ``concurrency = N`` > 1 in ``[narrative]``, model acts that set
    ``context = "none"``, have no ``skip_if``, no act carousel, and refer to no
    act of their own group run at the same time. Everything else is a group of one.
    """
    if plan.concurrency <= 1 or dry_run:
        return [[act] for act in plan.acts]
    groups: list[list[Act]] = []
    current: list[Act] = []
    for act in plan.acts:
        candidate = (
            act.is_model_act
            and act.context == "none"
            and act.skip_if is None
            and act.carousel is None
            and act.output != "json"
        )
        names = {a.name for a in current}
        if candidate and not (_act_refs(act) & names):
            current.append(act)
            continue
        if current:
            groups.append(current)
            current = []
        if candidate:
            current = [act]
        else:
            groups.append([act])
    if current:
        groups.append(current)
    return groups


def _act_refs(act: Act) -> set[str]:
    names: set[str] = set()
    texts = [t.content for t in act.text_inputs]
    texts += [t.where for t in act.table_inputs if t.where]  # a where's references
    for text in texts:
        for ref in interpolate.scan(text):
            if ref.kind == "act":
                names.add(ref.path[0])
            elif ref.kind == "jinja":
                names |= set(ref.names)
    return names
