from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest, HttpResponse

from kinwell.accounts.models import ConsentRecord, User
from kinwell.core.services import audit_record


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Operators assign roles here by adding a member to a group."""

    ordering = ["display_name"]
    list_display = ["display_name", "email", "date_joined", "is_active", "is_staff"]
    list_filter = ["groups", "is_active", "is_staff"]
    search_fields = ["display_name", "email"]
    readonly_fields = ["date_joined", "last_login", "adult_confirmed_at"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("display_name", "pronouns", "time_zone", "language", "country")}),
        ("Roles", {"fields": ("groups", "is_active", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("date_joined", "last_login", "adult_confirmed_at")}),
    )
    add_fieldsets = ((None, {"fields": ("email", "display_name", "password1", "password2")}),)
    filter_horizontal = ("groups",)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        subject = User.objects.filter(pk=object_id).first()
        if subject is not None:
            audit_record(
                actor=request.user, subject=subject, action="viewed", target="account (admin)"
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change and not obj.adult_confirmed_at:
            from django.utils import timezone

            obj.adult_confirmed_at = timezone.now()
        super().save_model(request, obj, form, change)
        if change:
            audit_record(
                actor=request.user, subject=obj, action="changed", target="account (admin)"
            )


@admin.register(ConsentRecord)
class ConsentRecordAdmin(admin.ModelAdmin):
    list_display = ["user", "purpose", "version", "granted", "recorded_at"]
    list_filter = ["purpose", "granted"]
    readonly_fields = ["user", "purpose", "version", "granted", "recorded_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
