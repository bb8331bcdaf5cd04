from django.urls import path

from kinwell.safety import views

app_name = "safety"

urlpatterns = [
    path("help/", views.help_now, name="help"),
    path("safety/plan/", views.plan_view, name="plan"),
    path("safety/plan/edit/", views.plan_edit, name="plan_edit"),
    path("safety/queue/", views.queue, name="queue"),
    path("safety/queue/<int:escalation_id>/", views.escalation_detail, name="escalation"),
    path(
        "safety/queue/<int:escalation_id>/acknowledge/",
        views.escalation_acknowledge,
        name="acknowledge",
    ),
    path("safety/queue/<int:escalation_id>/resolve/", views.escalation_resolve, name="resolve"),
    path("safety/queue/<int:escalation_id>/note/", views.escalation_note, name="note"),
    path("members/<int:member_id>/", views.member, name="member"),
    path("safety/people/", views.people, name="people"),
    path("safety/people/<int:member_id>/<slug:change>/", views.relation_change, name="relation"),
    path("safety/report/<slug:target_type>/<int:target_id>/", views.report, name="report"),
    path("safety/reports/", views.reports, name="reports"),
    path("safety/reports/<int:report_id>/", views.report_decide, name="report_decide"),
    path("safety/decisions/", views.decisions, name="decisions"),
    path("safety/decisions/<int:decision_id>/appeal/", views.appeal, name="appeal"),
    path("safety/appeals/<int:appeal_id>/", views.appeal_decide, name="appeal_decide"),
]
