from django.urls import path

from kinwell.programs import views

app_name = "programs"

urlpatterns = [
    path("", views.index, name="index"),
    path("circle/<int:circle_id>/", views.circle, name="circle"),
    path("circle/<int:circle_id>/start/", views.circle_start, name="circle_start"),
    path(
        "circle/<int:circle_id>/share/<int:circle_program_id>/",
        views.circle_share,
        name="circle_share",
    ),
    path("circle/<int:circle_id>/see/<int:step_id>/", views.circle_ack, name="circle_ack"),
    path(
        "circle/<int:circle_id>/end/<int:circle_program_id>/",
        views.circle_end,
        name="circle_end",
    ),
    path("reflections/<int:step_id>/", views.reflection, name="reflection"),
    path("reflections/<int:step_id>/share/", views.reflection_share, name="reflection_share"),
    path("<slug:slug>/", views.program, name="program"),
    path("<slug:slug>/start/", views.enrol, name="enrol"),
    path("<slug:slug>/today/", views.today, name="today"),
    path("<slug:slug>/day/<int:number>/", views.day, name="day"),
    path("<slug:slug>/day/<int:number>/reach-out/", views.reach_out, name="reach_out"),
    path("<slug:slug>/progress/", views.progress, name="progress"),
    path("<slug:slug>/pause/", views.pause, name="pause"),
    path("<slug:slug>/resume/", views.resume, name="resume"),
    path("<slug:slug>/leave/", views.leave, name="leave"),
]
