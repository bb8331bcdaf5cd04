from django.urls import path

from kinwell.network import views

app_name = "network"

urlpatterns = [
    path("", views.index, name="index"),
    path("people/new/", views.person_new, name="person_new"),
    path("people/<int:person_id>/", views.person, name="person"),
    path("people/<int:person_id>/delete/", views.person_delete, name="person_delete"),
    path("people/<int:person_id>/move/", views.person_move, name="person_move"),
    path("people/<int:person_id>/contacts/", views.contact_log, name="contact_log"),
    path(
        "people/<int:person_id>/contacts/<int:contact_id>/delete/",
        views.contact_delete,
        name="contact_delete",
    ),
    path("people/<int:person_id>/feelings/", views.person_attachment, name="person_attachment"),
]
