"""Time zone names: which ones exist, how a person picks one, the zone a stored name stands for, and telling a person
times in theirs."""

from __future__ import annotations

import functools
from contextlib import AbstractContextManager
from datetime import tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, available_timezones

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

if TYPE_CHECKING:
    from accounts.models import User

# A host's zoneinfo folder may hold `localtime`, a link to its own /etc/localtime: no tz database name, and another
# zone (or none) on the next host, so pages and mails would disagree.
HOST_ONLY_NAMES = frozenset({"localtime"})


@functools.cache
def time_zone_names() -> frozenset[str]:
    # available_timezones() walks the tz database's files on every call.
    return frozenset(available_timezones()) - HOST_ONLY_NAMES


def validate_time_zone(value: str) -> None:
    if value not in time_zone_names():
        raise ValidationError(f"“{value}” is not a time zone name such as Europe/Berlin or America/New_York.")


def zone_or_default(name: str) -> tzinfo:
    """The zone named `name`; the site's (TIME_ZONE) for a blank name, or one the tz database no longer has. Only a
    listed name is opened: ZoneInfo reads any path under the tz database, and a folder (America/Indiana) raises."""
    if name in time_zone_names():
        return ZoneInfo(name)
    return timezone.get_default_timezone()


def in_zone_of(person: User | None) -> AbstractContextManager[None]:
    """Times told to `person` (a mail, a notice) are in their zone (User.zone), whoever's request or worker renders
    them; in the site's (TIME_ZONE) for nobody, an address without an account."""
    return timezone.override(person.zone if person is not None else None)


class TimeZoneField(forms.ChoiceField):
    """A <select> of every time zone by name; the blank choice means the site's default (TIME_ZONE)."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("required", False)
        super().__init__(choices=_time_zone_choices, **kwargs)

    def offer_stored(self, name: str) -> None:
        """Offer also `name`, the zone a person already has, should the tz database have dropped it since (as 2020b
        dropped US/Pacific-New): a list without it would show, and send back, its first choice, so saving the page
        for another reason would lose the zone. Only this one name is added; other unknown names stay refused."""
        if name and name not in time_zone_names():
            default, *zones = _time_zone_choices()
            self.choices = [default, (name, f"{name} (no longer known)"), *zones]


def _time_zone_choices() -> list[tuple[str, str]]:
    default = ("", f"The site's default ({settings.TIME_ZONE})")
    return [default, *((name, name.replace("_", " ")) for name in sorted(time_zone_names()))]
