from __future__ import annotations

from django.urls import path

from tickets.views import attachments, requester, staff

urlpatterns = [
    path("", requester.home, name="home"),
    path("tickets/", requester.ticket_list, name="ticket_list"),
    path("tickets/new/", requester.ticket_new, name="ticket_new"),
    path("tickets/<int:pk>/", requester.ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/reply/", requester.ticket_reply, name="ticket_reply"),
    path("staff/", staff.staff_queue, name="staff_queue"),
    path("staff/tickets/new/", staff.staff_ticket_new, name="staff_ticket_new"),
    path("staff/tickets/<int:pk>/", staff.staff_ticket_detail, name="staff_ticket_detail"),
    path("staff/tickets/<int:pk>/reply/", staff.staff_ticket_reply, name="staff_ticket_reply"),
    path("staff/tickets/<int:pk>/update/", staff.staff_ticket_update, name="staff_ticket_update"),
    path("staff/tickets/<int:pk>/links/", staff.staff_ticket_link, name="staff_ticket_link"),
    path("staff/tickets/<int:pk>/links/<int:link_pk>/delete/", staff.staff_ticket_unlink, name="staff_ticket_unlink"),
    path("staff/tickets/<int:pk>/assign-me/", staff.staff_ticket_assign_me, name="staff_ticket_assign_me"),
    path("staff/tickets/<int:pk>/presence/", staff.staff_ticket_presence, name="staff_ticket_presence"),
    path("staff/tickets/<int:pk>/merge/", staff.staff_ticket_merge, name="staff_ticket_merge"),
    path("attachments/<int:pk>/", attachments.attachment_download, name="attachment_download"),
]
