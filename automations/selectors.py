"""Read queries of the automations app."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Q

from accounts.models import User
from automations.models import AssignMode, Rule
from tickets.models import Category, Team
from tickets.naming import Named, Naming, by_pk, conditions_naming, named_in_conditions

# The action naming each kind of row, and what it does with it.
_ACTIONS = {Team: ("set_team", "sets"), Category: ("set_category", "sets"), User: ("assign_to", "assigns to")}


def rules_naming(rows: Sequence[Named]) -> list[Naming]:
    """The rules whose action or condition names one of `rows` (teams, agents or categories, all of one kind).

    Inactive rules count: one switched back on after the row went would assign nobody, or match no ticket."""
    if not rows:
        return []
    field, does = _ACTIONS[type(rows[0])]
    acting = Q(**{f"{field}__in": rows})
    if field == "assign_to":
        acting &= Q(assign=AssignMode.AGENT)  # the other modes leave the agent chosen, if any, unused
    named = by_pk(rows)
    found = []
    for rule in Rule.objects.filter(acting | conditions_naming(rows)).order_by("name", "pk"):
        what = f"Automation rule “{rule.name}”" + ("" if rule.is_active else " (inactive)")
        acted_on = named.get(getattr(rule, f"{field}_id"))
        if acted_on is not None and (field != "assign_to" or rule.assign == AssignMode.AGENT):
            found.append(Naming(what, does, acted_on))
        if (condition := named_in_conditions(rule.conditions, named)) is not None:
            found.append(Naming(what, "has a condition on", condition))
    return found
