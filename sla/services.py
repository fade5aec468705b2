"""Every write of the SLA app. Where does an SLA clock start? Here: `sla_clocks_update`.

Every ticket service that can change a promise calls `sla_clocks_update` last, inside its own transaction
(ticket_create, ticket_change_status, ticket_update, comment_create for a public reply, and submission_create once the
form's answers are stored; an internal note changes nothing a clock measures). It looks at the ticket as it is now and
brings its clocks in line: it starts the ones now owed, counts the time used so far, pauses them while the ticket is
pending, stops the ones met, and sets each due time from the policy that applies now. So a new policy or priority
keeps the time already used, a clock that starts late counts as if it had run all along (time pending, resolved or
closed left out, from the audit trail), and calling it twice changes nothing. The periodic `sla_sweep` records
warnings and breaches (the `sla.warning` and `sla.breached` events), sends the escalation notices whose calendar
is open, and queues again a refresh of the open tickets (after an admin's change) whose message was lost. A fault
delays that work, it never loses it: a clock, notice or ticket that raises is logged and set aside, and the others go
on; a row another transaction held locked is left for the next run; a database outage or the task's time limit
stops the run, and the next goes on from there (helpdesk.availability.row_at_fault).
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Model, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from accounts.models import STAFF_ROLES
from events.models import EventKind
from events.services import ERROR_MAX_CHARS, event_record, retry_delay, send_to_worker
from helpdesk.availability import row_at_fault
from queues.kept import queue_outdated
from sla import notifications
from sla.business_time import NeverOpen, Schedule, add_business_time, business_time_between, next_open_moment
from sla.models import EscalationKind, EscalationNotice, Metric, SlaClock, SlaRefreshRequest, SlaTarget
from sla.selectors import Schedules, calendar_for, policy_for, target_for
from tickets.models import OPEN_STATUSES, Comment, Status, Ticket, TicketEvent, TicketEventKind
from tickets.services.common import own_rows_gone, ticket_locked_keeping_what_it_names

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=Model)

SWEEP_BATCH = 500
# One run of the open tickets' refresh: well below CELERY_TASK_SOFT_TIME_LIMIT, so a run ends on its own with its
# place saved instead of being killed part-way.
REFRESH_RUN_SECONDS = 60
# A clock whose check failed is looked at again this much later: not every minute, and never given up.
CLOCK_CHECK_RETRY = timedelta(hours=1)


@dataclass(frozen=True)
class Conversation:
    last_answer_at: datetime | None  # staff's latest public reply to the requester
    unanswered_since: datetime | None  # the requester side's first public message after it


def _conversation(ticket: Ticket) -> Conversation:
    public = Comment.objects.filter(ticket=ticket, internal=False)
    staff_answers = public.filter(author__role__in=STAFF_ROLES).exclude(author_id=ticket.requester_id)
    last_answer = staff_answers.order_by("-created_at").values_list("created_at", flat=True).first()
    waiting = public.exclude(pk__in=staff_answers.values("pk"))
    if last_answer is not None:
        waiting = waiting.filter(created_at__gt=last_answer)
    return Conversation(
        last_answer_at=last_answer,
        unanswered_since=waiting.order_by("created_at").values_list("created_at", flat=True).first(),
    )


@dataclass(frozen=True)
class Owed:
    """What a ticket owes now for one metric: whether a clock should run, since when, and when it was met."""

    running: bool
    since: datetime | None
    met_at: datetime | None


def _owed(metric: str, ticket: Ticket) -> Owed:
    is_open = ticket.status in OPEN_STATUSES
    if metric == Metric.FIRST_RESPONSE:
        return Owed(is_open and ticket.first_response_at is None, ticket.created_at, ticket.first_response_at)
    if metric == Metric.NEXT_RESPONSE:
        # Only once the first response is given: a reply before it must not replace the first response's clock
        # (Zammad #5177). Further replies while one is unanswered do not move the due time later.
        conversation = _conversation(ticket)  # read only here: the one metric that depends on the replies
        waiting = ticket.first_response_at is not None and conversation.unanswered_since is not None
        return Owed(is_open and waiting, conversation.unanswered_since, conversation.last_answer_at)
    return Owed(is_open, ticket.created_at, ticket.resolved_at or ticket.closed_at)


def _target_minutes(target: SlaTarget | None, metric: str) -> int | None:
    return getattr(target, f"{metric}_minutes") if target is not None else None


@transaction.atomic(savepoint=False)
def sla_clocks_update(*, ticket: Ticket, now: datetime | None = None) -> None:
    """Bring the ticket's clocks in line with the ticket as stored now. Call it with the ticket's row locked, in the
    transaction of the write it follows: it sets no savepoint of its own, so a failure here undoes that write too."""
    now = now or timezone.now()
    running = {clock.metric: clock for clock in SlaClock.objects.select_for_update().filter(ticket=ticket).running()}
    policy = policy_for(ticket)
    target = target_for(policy, ticket.priority)
    if target is None and not running:
        return  # no promise made, none running: the cheap path of an install without policies
    if policy is not None and not _kept(policy):  # deleted meanwhile: the ticket meets the next policy, or none
        policy = _kept_as_chosen(policy_for, ticket)
        target = target_for(policy, ticket.priority)
    calendar = _kept_as_chosen(calendar_for, ticket) if target is None or target.business_hours else None
    schedules = Schedules(calendar)
    not_counted: list[tuple[datetime, datetime]] | None = None  # read when a clock first starts

    for metric in Metric.values:
        clock = running.get(metric)
        minutes = _target_minutes(target, metric)
        if clock is None and minutes is None:
            continue  # nothing running and nothing promised: what the ticket owes does not matter
        owed = _owed(metric, ticket)
        if clock is not None:
            _count(clock, now, schedules.of(clock.calendar_id))
            if not owed.running:
                _stop(clock, now, owed.met_at)
                continue
        elif owed.running:
            not_counted = _spans_not_counted(ticket, now) if not_counted is None else not_counted
            schedule = schedules.of(calendar.pk if calendar else None)
            clock = _start(ticket, metric, owed.since or now, now, schedule, not_counted)
        else:
            continue
        clock.policy = policy
        clock.calendar = calendar
        clock.target_minutes = minutes
        clock.paused = ticket.status == Status.PENDING
        _plan(clock, now, schedules.of(clock.calendar_id))
        clock.save()


def _kept(row: Model) -> bool:
    """Whether the policy or calendar the clocks are about to name still exists, keeping it so until our commit
    (FOR KEY SHARE on PostgreSQL: tickets.services.common.own_rows_gone).

    The clocks' foreign keys are checked at our commit. An admin's deletion under way (which locks the row's running
    clocks and then the row, sla.admin.ClocksLockedFirstMixin) had none of ours to unset when the ticket moved to a
    team working that calendar, or matched that policy, only now: our commit found the row gone, an IntegrityError,
    the edit lost. Kept here, after our own clocks' lock (the deletion's order), a deletion under way is waited for
    and then seen, and one that comes later waits for our commit and then unsets our clocks too."""
    return not own_rows_gone(type(row), [row.pk])


def _kept_as_chosen(choose: Callable[[Ticket], M | None], ticket: Ticket) -> M | None:
    """The row `choose` picks for the ticket (policy_for, calendar_for), kept (_kept); picked again while the one
    picked was deleted meanwhile: each time a deletion has committed, so this ends."""
    while (row := choose(ticket)) is not None and not _kept(row):
        pass
    return row


def _start(
    ticket: Ticket,
    metric: str,
    since: datetime,
    now: datetime,
    schedule: Schedule,
    not_counted: list[tuple[datetime, datetime]],
) -> SlaClock:
    """A new clock. A reopened ticket's first response and resolution go on from the time already used."""
    previous = _clock_to_go_on_from(ticket, metric)
    if previous is None:
        elapsed = _time_used(since, now, schedule, not_counted)
        return SlaClock(ticket=ticket, metric=metric, started_at=since, elapsed=elapsed, counted_until=now)
    # The same promise goes on: a warning or breach already recorded is not news again, and keeps its time.
    return SlaClock(
        ticket=ticket,
        metric=metric,
        started_at=now,
        elapsed=previous.elapsed,
        counted_until=now,
        warned_at=previous.warned_at,
        breached_at=previous.breached_at,
    )


def _time_used(
    since: datetime, now: datetime, schedule: Schedule, not_counted: list[tuple[datetime, datetime]]
) -> timedelta:
    """The time a clock running from `since` would have counted by `now`: open time, less the spans it would not
    have counted (`not_counted`). A clock starts late when a policy is added, or a priority gets a target, after the
    ticket was pending or resolved: it counts as one running all along would have."""
    used = business_time_between(schedule, since, now)
    for began, ended in not_counted:
        used -= business_time_between(schedule, max(began, since), min(ended, now))
    return used


# While a ticket has any other status, no clock counts: it is paused (pending), or stopped until a reopen goes on
# from the time it used (resolved, closed).
COUNTING_STATUSES = frozenset({Status.NEW, Status.OPEN})


def _spans_not_counted(ticket: Ticket, now: datetime) -> list[tuple[datetime, datetime]]:
    """When the ticket was pending, resolved or closed, read from its status changes in the audit trail (a ticket is
    never created so); a span still open ends `now`. Days resolved before a reopen count no more than days pending:
    a ticket reopened a week later and then made urgent is not breached at once for the week it was done with."""
    changes = TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.STATUS, field="status")
    spans, began = [], None
    for at, new in changes.order_by("created_at", "id").values_list("created_at", "new_value"):
        if new in COUNTING_STATUSES and began is not None:
            spans.append((began, at))
            began = None
        elif new not in COUNTING_STATUSES and began is None:
            began = at
    if began is not None:
        spans.append((began, now))
    return spans


def _clock_to_go_on_from(ticket: Ticket, metric: str) -> SlaClock | None:
    """The stopped clock of the same promise, if a new one continues it: always for resolution, for the first
    response only if it was never given. Each reply owes its own next response."""
    if metric == Metric.NEXT_RESPONSE:
        return None
    previous = SlaClock.objects.filter(ticket=ticket, metric=metric).order_by("-started_at", "-id").first()
    if previous is None or (metric == Metric.FIRST_RESPONSE and previous.met_at is not None):
        return None
    return previous


def _count(clock: SlaClock, now: datetime, schedule: Schedule) -> None:
    """Add the time used since the last count, in the calendar that applied meanwhile."""
    if not clock.paused and now > clock.counted_until:
        clock.elapsed += business_time_between(schedule, clock.counted_until, now)
    clock.counted_until = max(clock.counted_until, now)


def _stop(clock: SlaClock, now: datetime, met_at: datetime | None) -> None:
    clock.stopped_at = now
    clock.met_at = met_at if met_at is not None and met_at >= clock.started_at else None
    if clock.breached_at is None and clock.due_at is not None and clock.due_at < (clock.met_at or now):
        clock.breached_at = clock.due_at  # missed before the sweep noticed: recorded all the same
    clock.next_check_at = None
    clock.save()


def sla_open_tickets_refresh(*, now: datetime | None = None) -> int:
    """Re-apply policies and calendars to every open ticket's clocks, in one go however long it takes. The worker
    goes through `sla_refresh_requests_serve` instead, which bounds each task run."""
    refreshed = 0
    last_id = 0
    while True:
        ids = _open_ticket_ids_after(last_id)
        refreshed += _tickets_refresh(ids, now=now)
        if len(ids) < SWEEP_BATCH:
            return refreshed
        last_id = ids[-1]


def _open_ticket_ids_after(last_id: int) -> list[int]:
    return list(Ticket.objects.open().filter(pk__gt=last_id).order_by("pk").values_list("pk", flat=True)[:SWEEP_BATCH])


def _tickets_refresh(ids: list[int], *, now: datetime | None) -> int:
    """Each ticket in its own short transaction, under its row lock, keeping the time each clock has used: a ticket
    changed meanwhile waits a moment at most, and is refreshed from its new state."""
    refreshed = 0
    for ticket_id in ids:
        try:
            refreshed += _ticket_refresh(ticket_id, now=now)
        except Exception as error:
            # Left as they were, not tried again by this refresh: it ends only once every open ticket is done, and
            # a retry would hold back every ticket after this one on every run. Its clocks are brought in line the
            # next time the ticket changes (every ticket service calls `sla_clocks_update`).
            if row_at_fault(error):
                logger.exception("sla refresh failed on ticket %s; its clocks stay as they were", ticket_id)
    queue_outdated()  # clocks changed without a ticket event: the queue's SLA counts and columns are out of date
    return refreshed


@transaction.atomic
def _ticket_refresh(ticket_id: int, *, now: datetime | None) -> int:
    ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
    if ticket is None:
        return 0
    sla_clocks_update(ticket=ticket, now=now)
    return 1


@transaction.atomic
def sla_open_tickets_refresh_request(*, now: datetime | None = None) -> SlaRefreshRequest:
    """Have the worker re-apply policies and calendars to the open tickets, after an admin changed them. Recorded in
    the caller's transaction with the change, so a broker down at commit delays the refresh: `sla_sweep` queues it
    again once overdue."""
    now = now or timezone.now()
    request = SlaRefreshRequest.objects.create(requested_at=now, queued_at=now)
    # One message for a transaction's requests (the admin's list saving many policies): its run serves them all.
    if not any(callback is _refresh_hand_over for _, callback, _ in connection.run_on_commit):
        transaction.on_commit(_refresh_hand_over)
    return request


def _refresh_hand_over(reported_at: datetime | None = None) -> None:
    """Queue a run. One queued by a run carries the time that run last reported: its successor can tell whether
    another run has reported since (`sla_refresh_requests_serve`)."""
    from sla.tasks import sla_refresh_open_tickets  # the tasks module imports this one: imported when first needed

    send_to_worker(sla_refresh_open_tickets, *([reported_at.isoformat()] if reported_at is not None else []))


def sla_refresh_requests_serve(
    *, now: datetime | None = None, budget_seconds: float | None = None, reported_at: datetime | None = None
) -> int:
    """The worker's side: refresh the open tickets in id order, from where the pending requests' last run got to.

    With 100,000 open tickets a refresh takes minutes, past a task's time limit: a run killed there would start over
    every time and never finish. So a run stops once it has used `budget_seconds` (REFRESH_RUN_SECONDS), with its
    place saved, and queues the next run, which goes on from there. Once every open ticket is done it deletes the
    requests it served. One made meanwhile (its change may have come too late to be read) is at the first ticket:
    the next run starts over from there, and serves every request.

    `reported_at`: the run that queued this one last reported then. A request made meanwhile sends a run of its own,
    the sweep one for a lost message, a message may come twice: once another run has reported since, this one stops
    and leaves the requests to it, so two runs going on together do the same tickets for one run at most, not for the
    rest of the refresh (a request not taken up yet does not count: its own message may have been lost). A message
    delivered again after its worker was killed part-way stops so too, and `sla_sweep` queues the refresh once
    overdue, as for any lost run."""
    requests = SlaRefreshRequest.objects.all()
    if reported_at is not None and (
        requests.filter(queued_at__gt=reported_at).exclude(queued_at=F("requested_at")).exists()
    ):
        return 0
    pending = list(requests.values_list("pk", "resume_after"))
    if not pending:
        return 0  # served already: a second copy of the message
    served = [pk for pk, _ in pending]
    last_id = min(resume_after for _, resume_after in pending)
    stop_at = time.monotonic() + (_refresh_run_seconds() if budget_seconds is None else budget_seconds)
    refreshed = 0
    while True:
        ids = _open_ticket_ids_after(last_id)
        refreshed += _tickets_refresh(ids, now=now)
        if len(ids) < SWEEP_BATCH:
            SlaRefreshRequest.objects.filter(pk__in=served).delete()
            return refreshed
        last_id = ids[-1]
        reported_at = _refresh_progress_save(served, last_id)
        if time.monotonic() >= stop_at:
            # A broker down now: the progress stops, and `sla_sweep` queues it once overdue.
            _refresh_hand_over(reported_at)
            return refreshed


def _refresh_run_seconds() -> float:
    """A minute, or half the soft time limit where CELERY_TASK_TIME_LIMIT is set lower: a run hands over in time."""
    return min(REFRESH_RUN_SECONDS, settings.CELERY_TASK_SOFT_TIME_LIMIT / 2)


def _refresh_progress_save(served: list[int], last_id: int) -> datetime:
    """Save how far the run got, and that it is alive: `_refresh_requests_resend` leaves a request alone while its run
    reports progress. A position only moves forward (one statement, so no lock is needed): two runs may serve the
    same request, when one made meanwhile sends a run from the first ticket, and the one behind must not take back
    what the other has done. Each ticket is refreshed under its row lock and twice changes nothing, so two runs at
    once cost time, never correctness."""
    reported_at = timezone.now()
    SlaRefreshRequest.objects.filter(pk__in=served).update(
        queued_at=reported_at, resume_after=Greatest("resume_after", Value(last_id))
    )
    return reported_at


def _refresh_requests_resend(now: datetime) -> None:
    """Queue again a refresh whose message was lost (the broker down at commit or at a run's hand-over, a worker
    killed). Overdue only once a run queued then would have finished: a run still going reports progress after each
    batch, so it is not started twice, and the run sent goes on where the lost one stopped."""
    overdue = now - timedelta(seconds=settings.EVENT_REDELIVER_AFTER_SECONDS + settings.CELERY_TASK_TIME_LIMIT)
    if SlaRefreshRequest.objects.filter(queued_at__lt=overdue).update(queued_at=now):
        _refresh_hand_over()


def warning_share() -> float:
    return settings.SLA_WARNING_PERCENT / 100


def _plan(clock: SlaClock, now: datetime, schedule: Schedule) -> None:
    """The due and warning times of a counting clock, from the time used and the target; while paused, only those
    already come."""
    target = clock.target
    if target is None:
        clock.due_at = clock.warn_at = clock.next_check_at = None
        return
    if clock.paused:
        _plan_paused(clock, target, now)
        return
    clock.due_at = _moment_when_used(clock, target, now, schedule, clock.due_at)
    clock.warn_at = _moment_when_used(clock, target * warning_share(), now, schedule, clock.warn_at)
    clock.next_check_at = _next_check(clock)


def _plan_paused(clock: SlaClock, target: timedelta, now: datetime) -> None:
    """A paused clock has no due or warning time ahead, but keeps one that came before the pause (and is still used
    up under the target now): missed a few seconds before the ticket went pending, the sweep has not seen it yet, and
    without it the breach would never be recorded (or recorded at the resume, as if missed then), and a ticket
    resolved while pending would read as met in time."""
    clock.due_at = _moment_already_come(clock.due_at, clock.elapsed >= target, now)
    clock.warn_at = _moment_already_come(clock.warn_at, clock.elapsed >= target * warning_share(), now)
    clock.next_check_at = _next_check(clock)


def _moment_already_come(moment: datetime | None, used_up: bool, now: datetime) -> datetime | None:
    """Used up: when it happened, or now for a target lowered below the time already used (as a counting clock)."""
    if not used_up:
        return None
    return moment if moment is not None and moment <= now else now


def _moment_when_used(
    clock: SlaClock, amount: timedelta, now: datetime, schedule: Schedule, known: datetime | None
) -> datetime | None:
    remaining = amount - clock.elapsed
    if remaining > timedelta(0):
        try:
            return add_business_time(schedule, clock.counted_until, remaining)
        except NeverOpen:
            # A calendar without enough open time ahead (all its hours removed, say) never runs the clock down:
            # the ticket is saved and the clock has no due time until the calendar is fixed.
            logger.warning("sla.calendar_never_open", extra={"clock_id": clock.pk, "calendar_id": clock.calendar_id})
            return None
    return known if known is not None and known <= now else now  # already used up: it happened, keep when


def _next_check(clock: SlaClock) -> datetime | None:
    pending = []
    if clock.warned_at is None and clock.warn_at is not None:
        pending.append(clock.warn_at)
    if clock.breached_at is None and clock.due_at is not None:
        pending.append(clock.due_at)
    return min(pending, default=None)


def sla_sweep(*, now: datetime | None = None) -> int:
    """Record the warnings and breaches that have come, once each, and send the notices now due.

    Reads only clocks whose next check has come, through the partial index on `next_check_at`."""
    now = now or timezone.now()
    checked = 0
    left: set[int] = set()  # clocks locked by another transaction: due still, tried again by the next sweep, not this
    while True:
        ids = list(
            SlaClock.objects.filter(next_check_at__lte=now)
            .exclude(pk__in=left)
            .order_by("next_check_at")
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        for clock_id in ids:
            try:
                _check_clock(clock_id, now)
            except Exception as error:  # one clock the sweep cannot check must not hold back every one after it
                if row_at_fault(error):
                    _check_clock_failed(clock_id, now, error)
                else:
                    left.add(clock_id)
        checked += len(ids)
        if len(ids) < SWEEP_BATCH:
            break
    if checked:
        queue_outdated()  # breaches recorded: the queue's "SLA breached" counts and its SLA column
    sla_notices_send(now=now)
    _refresh_requests_resend(now)
    return checked


@transaction.atomic
def _check_clock(clock_id: int, now: datetime) -> None:
    clocks = SlaClock.objects.select_for_update(**_skip_locked()).select_related("ticket")
    clock = clocks.filter(pk=clock_id, next_check_at__lte=now).first()
    if clock is None:
        return  # another sweep got there first, or the ticket changed meanwhile
    payload = {"clock_id": clock.pk, "metric": clock.metric}
    if clock.warned_at is None and clock.warn_at is not None and clock.warn_at <= now:
        clock.warned_at = now
        event_record(kind=EventKind.SLA_WARNING, ticket=clock.ticket, internal=True, payload=payload)
    if clock.breached_at is None and clock.due_at is not None and clock.due_at <= now:
        clock.breached_at = clock.due_at
        event_record(kind=EventKind.SLA_BREACHED, ticket=clock.ticket, internal=True, payload=payload)
    clock.next_check_at = _next_check(clock)
    clock.save(update_fields=["warned_at", "breached_at", "next_check_at"])


def _check_clock_failed(clock_id: int, now: datetime, error: Exception) -> None:
    """The check raised on this clock (its changes were rolled back): looked at again after CLOCK_CHECK_RETRY.

    Never given up: its warning or breach is still owed, and once the fault is fixed (the code or the data) the next
    look records it, the breach at its due time as always. Not every minute meanwhile, which would fill the log and
    cost the sweep a failing transaction each run. The queue still shows it breached, from its due time. A change to
    the ticket plans the clock afresh, and so has it looked at again at once."""
    logger.exception("sla sweep failed on clock %s; looked at again later", clock_id, exc_info=error)
    SlaClock.objects.filter(pk=clock_id, next_check_at__lte=now).update(next_check_at=now + CLOCK_CHECK_RETRY)


def _skip_locked() -> dict[str, bool]:
    # PostgreSQL lets two sweeps share the work; SQLite has one writer at a time anyway.
    return {"skip_locked": True} if connection.features.has_select_for_update_skip_locked else {}


@transaction.atomic
def escalation_notice_create(*, clock_id: int, kind: EscalationKind, now: datetime | None = None) -> None:
    """Owe the assignee (or the team) a mail about a warning or breach, to go out when the calendar is open.

    No escalation at 3 a.m. on a Sunday: it waits for the clock's calendar to open, unless that is around the
    clock (Zammad #4432). Safe to call twice: there is one notice per clock and kind."""
    now = now or timezone.now()
    clock = SlaClock.objects.filter(pk=clock_id).first()
    if clock is None:
        return
    try:
        send_after = next_open_moment(Schedules().of(clock.calendar_id), now)
    except NeverOpen:
        send_after = now  # a calendar that never opens cannot hold an escalation back for ever
    EscalationNotice.objects.get_or_create(clock=clock, kind=kind, defaults={"send_after": send_after})


def sla_notices_send(*, now: datetime | None = None) -> int:
    """Send the notices whose time has come. A clock stopped meanwhile (answered before opening time) is dropped."""
    now = now or timezone.now()
    due = EscalationNotice.objects.unsent().filter(send_after__lte=now).values_list("pk", flat=True)
    sent = 0
    for notice_id in list(due[:SWEEP_BATCH]):
        try:
            sent += _send_notice(notice_id, now)
        except Exception as error:  # one notice that cannot be sent must not hold back every one after it
            if row_at_fault(error):
                _notice_failed(notice_id, now, error)
    return sent


@transaction.atomic
def _send_notice(notice_id: int, now: datetime) -> int:
    """Send the notice, if still unsent, under its ticket's lock, the ticket's team, agent and category kept before
    it (tickets.services.common.ticket_locked_keeping_what_it_names): the mail's row names its recipient, the
    assignee, checked at our commit. Taken after the ticket's lock, that check waited for the assignee's deletion,
    which held the account while it waited for the ticket to unassign it, and PostgreSQL ended one of the two."""
    ticket_id = EscalationNotice.objects.filter(pk=notice_id).values_list("clock__ticket_id", flat=True).first()
    if ticket_id is None or ticket_locked_keeping_what_it_names(ticket_id) is None:
        return 0
    notices = EscalationNotice.objects.unsent().select_for_update(**_skip_locked()).select_related("clock__ticket")
    notice = notices.filter(pk=notice_id).first()
    if notice is None:
        return 0
    notice.sent_at = now
    notice.save(update_fields=["sent_at"])
    if notice.clock.stopped_at is not None and notice.clock.stopped_at <= now:
        return 0
    notifications.mail_escalation(notice=notice)
    return 1


@transaction.atomic
def _notice_failed(notice_id: int, now: datetime, error: Exception) -> None:
    """Sending the notice raised (its changes were rolled back): tried again with the backoff of a mail that failed,
    and after NOTIFICATION_MAX_ATTEMPTS given up, `failed_at` with the reason in the admin's list of notices. By then
    the warning is hours late; and retried every run for ever, it would fill the log every minute."""
    logger.exception("sla notice %s not sent", notice_id, exc_info=error)
    notice = EscalationNotice.objects.unsent().select_for_update().filter(pk=notice_id).first()
    if notice is None:
        return  # sent meanwhile by another worker
    notice.attempts += 1
    notice.last_error = "".join(traceback.format_exception(error))[-ERROR_MAX_CHARS:]
    if notice.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
        notice.failed_at = now
    else:
        notice.send_after = now + timedelta(seconds=retry_delay(notice.attempts))
    notice.save(update_fields=["attempts", "last_error", "failed_at", "send_after"])
