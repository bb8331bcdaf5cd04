from django.urls import path

from kinwell.coach import views

app_name = "coach"

urlpatterns = [
    path("feedback/", views.feedback, name="feedback"),
    path("practice/", views.practice, name="practice"),
    path("settings/", views.coach_settings, name="settings"),
]
