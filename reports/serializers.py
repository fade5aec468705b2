"""The shape of the reports in the API (the figures come from reports.selectors.dashboard as they are)."""

from __future__ import annotations

from rest_framework import serializers

from helpdesk import api_fields


class ComparedIntSerializer(serializers.Serializer):
    value = serializers.IntegerField(help_text="This period.")
    previous = serializers.IntegerField(help_text="The previous period, as long, ending the day before.")
    change = serializers.FloatField(help_text="value - previous.")


class ComparedNumberSerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True, help_text="This period; null when there is nothing to measure.")
    previous = serializers.FloatField(allow_null=True)
    change = serializers.FloatField(allow_null=True, help_text="value - previous; null when either is null.")


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField(help_text="Included.")
    previous_start = serializers.DateField()
    previous_end = serializers.DateField()


class FiltersSerializer(serializers.Serializer):
    team = serializers.IntegerField(allow_null=True)
    category = serializers.IntegerField(allow_null=True)
    agent = serializers.IntegerField(allow_null=True)


class TotalsSerializer(serializers.Serializer):
    created = ComparedIntSerializer()
    solved = ComparedIntSerializer()
    replies = ComparedIntSerializer(help_text="Staff's public replies.")
    backlog_at_end = ComparedIntSerializer(help_text="Open tickets at the end of the period's last day.")


class DaySerializer(serializers.Serializer):
    day = serializers.DateField()
    created = serializers.IntegerField()
    solved = serializers.IntegerField()
    backlog = serializers.IntegerField(help_text="Open at the end of the day.")
    replies = serializers.IntegerField()


class OpenByStatusSerializer(serializers.Serializer):
    status = api_fields.CharField()
    label = api_fields.CharField()
    count = serializers.IntegerField()


class OpenByPrioritySerializer(serializers.Serializer):
    priority = api_fields.CharField()
    count = serializers.IntegerField()


class OpenByTeamSerializer(serializers.Serializer):
    team_id = serializers.IntegerField(allow_null=True)
    team = api_fields.CharField()
    count = serializers.IntegerField()


class DurationSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="How many tickets were measured in this period.")
    median_minutes = ComparedNumberSerializer(help_text="Median, in business minutes.")
    p90_minutes = ComparedNumberSerializer(help_text="90th percentile, in business minutes.")


class SlaRateSerializer(ComparedNumberSerializer):
    tracked = serializers.IntegerField(help_text="Tickets created in the period that had an SLA target.")
    breached = serializers.IntegerField(help_text="Of those, the ones with a target missed.")


class CsatSerializer(ComparedNumberSerializer):
    rated = serializers.IntegerField(help_text="Tickets solved in the period that their requester rated.")
    good = serializers.IntegerField()


class ReopenRateSerializer(ComparedNumberSerializer):
    solved = serializers.IntegerField()
    reopened = serializers.IntegerField()


class ChannelSerializer(serializers.Serializer):
    channel = api_fields.CharField()
    label = api_fields.CharField()
    count = serializers.IntegerField()
    previous = serializers.IntegerField()


class AgentSerializer(serializers.Serializer):
    agent_id = serializers.IntegerField()
    agent = api_fields.CharField()
    assigned_open = serializers.IntegerField()
    solved = serializers.IntegerField()
    replies = serializers.IntegerField()


class DashboardSerializer(serializers.Serializer):
    period = PeriodSerializer()
    filters = FiltersSerializer()
    totals = TotalsSerializer()
    daily = DaySerializer(many=True)
    open_by_status = OpenByStatusSerializer(many=True, help_text="Open now, whatever the period.")
    open_by_priority = OpenByPrioritySerializer(many=True, help_text="Open now, whatever the period.")
    open_by_team = OpenByTeamSerializer(many=True, help_text="Open now, whatever the period.")
    first_response = DurationSerializer(help_text="Of the tickets created in the period.")
    resolution = DurationSerializer(help_text="Of the tickets solved in the period, to their last resolution.")
    sla_breach_rate = SlaRateSerializer(help_text="Percent of tickets with an SLA target that missed one.")
    csat_score = CsatSerializer(help_text="Percent of ratings that were good.")
    reopen_rate = ReopenRateSerializer(help_text="Percent of solved tickets reopened at least once.")
    by_channel = ChannelSerializer(many=True)
    agents = AgentSerializer(many=True)
