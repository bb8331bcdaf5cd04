from django.urls import path

from kinwell.care import views

app_name = "care"

urlpatterns = [
    path("", views.index, name="index"),
    path("links/<int:link_id>/end/", views.end, name="end"),
    path("clients/<int:member_id>/", views.client, name="client"),
    path("checkins/<int:checkin_id>/stop/", views.stop_checkin, name="stop_checkin"),
]
