from django.urls import path

from kinwell.checkins import views

app_name = "checkins"

urlpatterns = [
    path("", views.today, name="today"),
    path("history/", views.history, name="history"),
    path("insights/", views.insights, name="insights"),
    path("week/", views.week, name="week"),
    path("reminders/", views.reminders, name="reminders"),
]
