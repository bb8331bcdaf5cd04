from django.contrib.auth import views as auth_views
from django.urls import path

from kinwell.accounts import views

app_name = "accounts"

urlpatterns = [
    path("sign-up/", views.sign_up, name="sign_up"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-in/code/", views.sign_in_verify, name="sign_in_verify"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("profile/", views.profile, name="profile"),
    path("security/", views.security, name="security"),
    path("security/password/", views.password_change, name="password_change"),
    path("security/two-step/", views.two_factor_setup, name="two_factor_setup"),
    path("security/two-step/off/", views.two_factor_disable, name="two_factor_disable"),
    path("security/recovery-codes/", views.recovery_codes_new, name="recovery_codes_new"),
    path("consent/research/", views.consent_research, name="consent_research"),
    path("export/", views.export, name="export"),
    path("delete/", views.delete_account, name="delete"),
    path("deleted/", views.deleted, name="deleted"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_sent.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
]
