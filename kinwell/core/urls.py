from django.urls import path

from kinwell.core import views

app_name = "core"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("home/", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("privacy/", views.privacy_page, name="privacy"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("policies/<slug:purpose>/", views.policy, name="policy"),
    path("policies/terms/", views.policy, {"purpose": "terms"}, name="policy_terms"),
    path("policies/privacy/", views.policy, {"purpose": "privacy"}, name="policy_privacy"),
]
