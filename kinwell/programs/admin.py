from django.contrib import admin

from kinwell.programs.models import CircleProgram


@admin.register(CircleProgram)
class CircleProgramAdmin(admin.ModelAdmin):
    # Members' runs and reflections are private and stay out of the admin on purpose.
    list_display = ("program", "circle", "started_at")
    list_filter = ("program",)
    raw_id_fields = ("circle",)
