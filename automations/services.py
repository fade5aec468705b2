"""Every write of the automations app. Where does a rule run? `rules_run_for_event` (triggers, called by the
worker for each event) and `time_rules_run` (time-based rules, called by the worker every few minutes); both
end in `_rule_apply`, which changes the ticket only through the ticket services, as the automation actor.

Loops cannot form: the events a rule's actions cause carry the chain of rules that led to them, and a rule in
that chain does not run again; a chain stops after AUTOMATION_MAX_DEPTH links. A rule whose actions would change
nothing does not run. Every decision, fired or not and why, is written to the run log (`RuleRun`).
"""

from __future__ import annotations

import logging
import secrets
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.urls import NoReverseMatch
from django.utils import timezone

from accounts.models import AUTOMATION_ACTOR_EMAIL, Role, User
from automations import notifications
from automations.assignment import assignee_pick
from automations.models import (
    AssignMode,
    Availability,
    Outcome,
    Rule,
    RuleRun,
    TimeBase,
    TimeRuleFiring,
    Trigger,
)
from events.models import Event, EventKind
from events.services import events_caused_by
from helpdesk.availability import row_at_fault
from helpdesk.errors import DomainError
from sla.business_time import Schedule, business_time_between
from sla.selectors import TeamSchedules, calendar_for, schedule_of
from tickets.conditions import ticket_matches, tickets_matching
from tickets.models import Priority, Team, Ticket, TicketEvent, TicketEventKind
from tickets.services import (
    UNSET,
    TicketChanges,
    comment_create,
    normalize_tag_names,
    rows_an_edit_names,
    ticket_update,
)
from tickets.services.common import (
    Row,
    ensure_configured_rows_remain,
    keep_actor,
    ticket_locked_keeping_what_it_names,
)

logger = logging.getLogger(__name__)

TIME_RULE_BATCH = 500
BROKEN_TEMPLATE = (TemplateSyntaxError, TemplateDoesNotExist, NoReverseMatch)

TRIGGER_OF_EVENT = {
    EventKind.TICKET_CREATED: Trigger.TICKET_CREATED,
    EventKind.TICKET_EDITED: Trigger.TICKET_UPDATED,
    EventKind.STATUS_CHANGED: Trigger.TICKET_UPDATED,
    EventKind.PRIORITY_CHANGED: Trigger.TICKET_UPDATED,
    EventKind.ASSIGNEE_CHANGED: Trigger.TICKET_UPDATED,
    EventKind.TEAM_CHANGED: Trigger.TICKET_UPDATED,
    EventKind.CATEGORY_CHANGED: Trigger.TICKET_UPDATED,
    EventKind.TAGS_CHANGED: Trigger.TICKET_UPDATED,
    EventKind.REQUESTER_REPLIED: Trigger.REQUESTER_REPLIED,
    EventKind.COMMENT_ADDED: Trigger.AGENT_REPLIED,
    EventKind.SLA_WARNING: Trigger.SLA_WARNING,
    EventKind.SLA_BREACHED: Trigger.SLA_BREACHED,
}


def automation_actor() -> User:
    """The user automations act as: an agent no one can sign in as (no password, an address that takes no mail)."""
    actor = User.objects.filter(email=AUTOMATION_ACTOR_EMAIL).first()
    if actor is None:
        actor = User.objects.create_user(AUTOMATION_ACTOR_EMAIL, password=None, name="Automation", role=Role.AGENT)
    return actor


def trigger_of(event: Event) -> str | None:
    if event.kind == EventKind.COMMENT_ADDED and not event.payload.get("answers_requester"):
        return None  # only staff's public replies to the requester are "agent replied"
    return TRIGGER_OF_EVENT.get(event.kind)


@dataclass
class Plan:
    """What a rule would do to a ticket now."""

    changes: dict[str, Any] = field(default_factory=dict)
    assign_mode: str = ""
    described: list[str] = field(default_factory=list)


def _plan(rule: Rule, ticket: Ticket) -> Plan:
    plan = Plan()
    if rule.set_status and rule.set_status != ticket.status:
        plan.changes["status"] = rule.set_status
    if rule.set_priority is not None and rule.set_priority != ticket.priority:
        plan.changes["priority"] = rule.set_priority
    if rule.set_team_id and rule.set_team_id != ticket.team_id:
        plan.changes["team"] = rule.set_team
    if rule.set_category_id and rule.set_category_id != ticket.category_id:
        plan.changes["category"] = rule.set_category
    current_tags = set(ticket.tags.values_list("name", flat=True))
    added = set(normalize_tag_names(rule.add_tags.split(","))) - current_tags
    if added:
        plan.changes["tags"] = sorted(current_tags | added)
    # No agent left to assign to (their user was deleted): leave the assignee, never unassign.
    if rule.assign == AssignMode.AGENT and rule.assign_to_id is not None and rule.assign_to_id != ticket.assignee_id:
        plan.changes["assignee"] = rule.assign_to
    elif rule.assign in (AssignMode.ROUND_ROBIN, AssignMode.LEAST_OPEN) and ticket.assignee_id is None:
        plan.assign_mode = rule.assign
    for name, value in plan.changes.items():
        shown = Priority(value).label if name == "priority" else ", ".join(value) if name == "tags" else value
        plan.described.append(f"{name} → {shown}")
    return plan


def _first_unmet_condition(conditions: dict[str, str], ticket: Ticket) -> str | None:
    for name, value in conditions.items():
        if not ticket_matches({name: value}, ticket):
            return f"{name}={value}"
    return None if ticket_matches(conditions, ticket) else "the conditions taken together"


def _log(rule: Rule, ticket: Ticket, outcome: str, reason: str, event: Event | None = None) -> None:
    RuleRun.objects.create(rule=rule, ticket=ticket, event=event, outcome=outcome, reason=reason)


def rules_run_for_event(*, event: Event) -> None:
    """Run the trigger rules for one event, each in its own transaction. Safe to repeat for the same event."""
    trigger = trigger_of(event)
    if trigger is None or event.ticket_id is None:
        return
    cause = event.payload.get("cause") or {}
    for rule in Rule.objects.filter(is_active=True, trigger=trigger).order_by("position", "id"):
        _rule_run(rule=rule, ticket_id=event.ticket_id, cause=cause, event=event)


@transaction.atomic
def _rule_run(*, rule: Rule, ticket_id: int, cause: dict[str, Any], event: Event) -> None:
    # What the ticket names kept before its lock, with what the rule's actions name (_rows_a_rule_names): the actions
    # write rows naming them (a mail to the assignee, the team's round-robin place, the audit entries), checked at our
    # commit. Taken after the ticket's lock, that check waited for the row's deletion, which held it while it waited
    # for the ticket, and PostgreSQL ended one of the two.
    ticket = ticket_locked_keeping_what_it_names(ticket_id, also=_rows_a_rule_names(rule))
    if ticket is None or _already_fired(rule, ticket, event, cause.get("edit")):
        return  # gone, or the rule already fired for this event (delivered twice) or for this edit's other fields
    if rule.pk in cause.get("rules", ()):
        _log(rule, ticket, Outcome.LOOP, "This event came from the rule's own actions.", event)
        return
    depth = cause.get("depth", 0)
    if depth >= settings.AUTOMATION_MAX_DEPTH:
        _log(rule, ticket, Outcome.DEPTH, f"Set off by a chain of {depth} rules (the limit).", event)
        return
    if ticket.merged_into_id is not None and "status" not in rule.conditions:
        # A merged ticket is a shell (its conversation moved on): "unassigned → round-robin" would hand it to an
        # agent, who would be told of a ticket nobody works. A rule naming a status (closed) chooses it itself.
        merged = f"#{ticket.pk} was merged into #{ticket.merged_into_id}"
        reason = f"{merged}: only a rule whose conditions name a status acts on it."
        _log(rule, ticket, Outcome.NOT_MATCHED, reason, event)
        return
    unmet = _first_unmet_condition(rule.conditions, ticket)
    if unmet is not None:
        _log(rule, ticket, Outcome.NOT_MATCHED, f"Condition not met: {unmet}.", event)
        return
    _rule_apply(rule=rule, ticket=ticket, chain=[*cause.get("rules", ()), rule.pk], event=event)


def _rows_a_rule_names(rule: Rule) -> set[Row]:
    """The rows the rule's actions may write rows naming, kept before the ticket's lock: the automation's actor, the
    team, category and agent it sets (tickets.services.triage.rows_an_edit_names). Not the tags it adds, which
    keeping would create for a rule whose conditions turn out unmet; nor an agent chosen by round-robin, chosen
    only under the lock: those are kept only then (in ticket_update)."""
    assigns_agent = rule.assign == AssignMode.AGENT and rule.assign_to is not None
    asked = TicketChanges(
        team=rule.set_team or UNSET,
        category=rule.set_category or UNSET,
        assignee=rule.assign_to if assigns_agent else UNSET,
    )
    return rows_an_edit_names(actor=automation_actor(), changes=asked)


def _already_fired(rule: Rule, ticket: Ticket, event: Event, edit: str | None) -> bool:
    """Whether the rule fired for this event, or for another event of the same edit: an edit of priority and
    assignee records two events, and "Ticket updated" means the edit, not each field."""
    same = Q(event=event)
    if edit:
        same |= Q(ticket=ticket, event__payload__cause__edit=edit)
    return RuleRun.objects.filter(same, rule=rule, outcome=Outcome.FIRED).exists()


def _broken_reference(rule: Rule) -> str | None:
    """Why the rule cannot do what its admin set up: what it referred to was deleted (the foreign keys are SET_NULL,
    so the rule stays) or its agent can no longer take tickets. Said in the run log, rather than the rule firing with
    its agent left out, or failing with the ticket service's "Invalid assignee."."""
    if rule.assign == AssignMode.AGENT:
        if rule.assign_to is None:
            return "The agent it assigns to no longer exists: choose another."
        if not rule.assign_to.is_agent_or_admin:
            agent = rule.assign_to.display_name
            return f"{agent}, whom it assigns to, is deactivated or no longer an agent: choose another."
    return None


# A rule may be saved with conditions only; one whose only action named a team, category or agent since deleted
# (SET_NULL) ends up the same. Either way it fires (its conditions matched), and the run log says what is missing.
NO_ACTIONS = "It has no actions: if it set a team, category or agent, that was deleted."


def _nobody_to_assign(team: Team | None) -> str:
    if team is None:
        return "Nobody to assign: the ticket has no team to choose an agent from."
    return f"Nobody to assign: no agent of {team.name} is available (all away, or none active)."


def _rule_apply(*, rule: Rule, ticket: Ticket, chain: list[int], event: Event | None = None) -> bool:
    """Apply the rule's actions through the ticket services, or log why nothing was done. Returns whether it ran."""
    broken = _broken_reference(rule)
    if broken is not None:
        _log(rule, ticket, Outcome.FAILED, broken, event)
        return False
    plan = _plan(rule, ticket)
    changes = dict(plan.changes)
    unassigned_because = ""
    if plan.assign_mode:
        team = changes.get("team") or ticket.team
        chosen = assignee_pick(team=team, mode=plan.assign_mode)
        if chosen is not None:
            changes["assignee"] = chosen
            plan.described.append(f"assignee → {chosen.display_name} ({AssignMode(plan.assign_mode).label.lower()})")
        else:
            unassigned_because = _nobody_to_assign(team)
            plan.described.append(unassigned_because)
    if rule.has_field_actions and not changes:
        _log(rule, ticket, Outcome.NO_CHANGE, unassigned_because or "Its actions would change nothing.", event)
        return False
    actor = automation_actor()
    cause = {"rules": chain, "depth": len(chain), "label": f"automation rule “{rule.name}”"}
    try:
        with transaction.atomic(), events_caused_by(cause):
            if changes:
                ticket = ticket_update(ticket=ticket, actor=actor, changes=TicketChanges(**changes))
            if rule.internal_note.strip():
                comment_create(ticket=ticket, author=actor, body=rule.internal_note, internal=True, on_merged=True)
                plan.described.append("internal note")
            if rule.notify:
                # Queued with the rule's other actions: recorded, sent by the worker after commit, retried.
                key = f"rule:{rule.pk}:" + (f"event:{event.pk}" if event is not None else secrets.token_hex(8))
                notifications.mail_rule_notification(
                    rule=rule, ticket=ticket, key=key, event_id=event.pk if event is not None else None
                )
                plan.described.append(f"notify {rule.get_notify_display().lower()}")
    except DomainError as error:
        _log(rule, ticket, Outcome.FAILED, error.message, event)
        return False
    except BROKEN_TEMPLATE as error:
        # A template stored before it was checked, or one that fails only when rendered ({% url %}): this rule
        # fails, with the reason in its log, and the rules after it still run.
        _log(rule, ticket, Outcome.FAILED, f"The message template could not be rendered: {error}", event)
        return False
    _log(rule, ticket, Outcome.FIRED, "; ".join(plan.described) or NO_ACTIONS, event)
    return True


def _with_episode_start(tickets: QuerySet[Ticket], base: str) -> QuerySet[Ticket]:
    """Annotate when the current condition episode began: when the ticket was opened, or got its status."""
    if base == TimeBase.CREATED:
        return tickets.annotate(episode_start=F("created_at"))
    last_status_change = (
        TicketEvent.objects.filter(ticket=OuterRef("pk"), kind=TicketEventKind.STATUS)
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )
    return tickets.annotate(
        episode_start=Coalesce(Subquery(last_status_change), F("created_at"), output_field=DateTimeField())
    )


def time_rules_run(*, now: datetime | None = None) -> int:
    """Fire each time rule for every ticket that has met its conditions long enough: once per condition episode
    (a ticket pending twice is reminded twice), never twice for one, whatever restarts happen in between."""
    now = now or timezone.now()
    fired = 0
    for rule in Rule.objects.filter(is_active=True, trigger=Trigger.TIME).order_by("position", "id"):
        fired += _time_rule_run(rule=rule, now=now)
    return fired


def _time_rule_tickets(rule: Rule) -> QuerySet[Ticket]:
    # A closed or resolved ticket is done with: "unassigned for 30 minutes" does not mean a closed duplicate.
    # A rule that names a status (a survey after resolution, say) chooses its tickets itself.
    tickets = Ticket.objects.all() if "status" in rule.conditions else Ticket.objects.open()
    return tickets_matching(rule.conditions, tickets)


def _time_rule_run(*, rule: Rule, now: datetime) -> int:
    try:
        due_since = now - timedelta(minutes=rule.after_minutes or 0)
    except OverflowError:
        return 0  # a wait reaching back before the year 1 (a rule stored before AFTER_MINUTES_MAX): no ticket is due
    candidates = _with_episode_start(_time_rule_tickets(rule), rule.time_base)
    already = TimeRuleFiring.objects.filter(rule=rule, ticket=OuterRef("pk"), episode_start=OuterRef("episode_start"))
    due = (
        candidates.filter(episode_start__lte=due_since)
        .exclude(Exists(already))
        .order_by("episode_start", "id")
        .values_list("pk", "episode_start", "team_id")
    )
    schedules = TeamSchedules() if rule.business_hours else None
    fired = 0
    batch = list(due[:TIME_RULE_BATCH])
    while batch:
        for ticket_id, episode_start, team_id in batch:
            # Long enough by the clock on the wall, not yet in opening hours: skipped before its lock is taken, or
            # every run until it is due would lock it again only to find that out.
            if schedules is not None and not _business_time_passed(rule, schedules.of(team_id), episode_start, now):
                continue
            try:
                fired += _time_rule_fire(rule=rule, ticket_id=ticket_id, episode_start=episode_start, now=now)
            except Exception as error:  # one ticket the rule cannot act on must not hold back every one after it
                if row_at_fault(error):
                    _time_rule_failed(rule=rule, ticket_id=ticket_id, episode_start=episode_start, now=now, error=error)
        if len(batch) < TIME_RULE_BATCH:
            break
        # On past the last one read: with business hours, tickets not yet due are not recorded, and would fill
        # every batch from the start if it were read again.
        last_id, last_start, _ = batch[-1]
        after_last = Q(episode_start__gt=last_start) | Q(episode_start=last_start, pk__gt=last_id)
        batch = list(due.filter(after_last)[:TIME_RULE_BATCH])
    return fired


def _business_time_passed(rule: Rule, schedule: Schedule, episode_start: datetime, now: datetime) -> bool:
    """Whether the rule's wait has passed in the opening hours of `schedule` since the episode began."""
    return business_time_between(schedule, episode_start, now) >= timedelta(minutes=rule.after_minutes or 0)


@transaction.atomic
def _time_rule_fire(*, rule: Rule, ticket_id: int, episode_start: datetime, now: datetime) -> int:
    ticket = ticket_locked_keeping_what_it_names(ticket_id, also=_rows_a_rule_names(rule))  # as in _rule_run
    # Asked again under the lock: the batch was read a while ago, and the ticket may have been answered, reopened or
    # deleted since; a rule acting on what it read then would close a ticket its requester has just replied to.
    still_due = _with_episode_start(_time_rule_tickets(rule).filter(pk=ticket_id), rule.time_base)
    if ticket is None or not still_due.filter(episode_start=episode_start).exists():
        return 0
    if rule.business_hours and not _business_time_passed(rule, schedule_of(calendar_for(ticket)), episode_start, now):
        return 0  # asked again under the lock too: its team, and so its opening hours, may have changed since
    try:
        with transaction.atomic():
            TimeRuleFiring.objects.create(rule=rule, ticket=ticket, episode_start=episode_start, fired_at=now)
    except IntegrityError:
        return 0  # another worker fired it for this episode, before a restart or at the same time
    return int(_rule_apply(rule=rule, ticket=ticket, chain=[rule.pk]))


@transaction.atomic
def _time_rule_failed(*, rule: Rule, ticket_id: int, episode_start: datetime, now: datetime, error: Exception) -> None:
    """The rule raised on this ticket (its changes were rolled back): failed for this episode, with the reason in the
    rule's log for an admin, as a rule refused by a ticket service is; not tried again every run."""
    logger.exception("time rule %s failed on ticket %s", rule.pk, ticket_id, exc_info=error)
    ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
    if ticket is None:
        return
    try:
        with transaction.atomic():
            TimeRuleFiring.objects.create(rule=rule, ticket=ticket, episode_start=episode_start, fired_at=now)
    except IntegrityError:
        return  # another worker fired it for this episode meanwhile
    detail = "".join(traceback.format_exception_only(type(error), error)).strip()
    _log(rule, ticket, Outcome.FAILED, f"An unexpected error: {detail}")


@transaction.atomic
def agent_set_away(*, user: User, away: bool) -> Availability:
    keep_actor(user)
    availability, _ = Availability.objects.select_for_update().get_or_create(user=user)
    if availability.is_away != away:
        availability.is_away = away
        availability.changed_at = timezone.now()
        availability.save(update_fields=["is_away", "changed_at"])
    return availability


@transaction.atomic
def rule_save(*, rule: Rule, named_rows_kept: bool = False) -> Rule:
    """Validate and store a rule (the admin and the API both come here).

    `named_rows_kept`: the caller kept the rows the rule names already, in this transaction (the admin's form,
    helpdesk.admin_support.ConfiguredRowsKeptForm, to say which field names a gone one); not read again."""
    rule.full_clean()
    if not named_rows_kept:
        ensure_configured_rows_remain(rule)
    rule.updated_at = timezone.now()
    rule.save()
    return rule
