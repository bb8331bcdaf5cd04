from django.urls import path

from kinwell.circles import views

app_name = "circles"

urlpatterns = [
    path("", views.index, name="index"),
    path("join/", views.join, name="join"),
    path("requests/<int:request_id>/withdraw/", views.withdraw, name="withdraw"),
    path("matching/", views.matching_page, name="matching"),
    path("<int:circle_id>/", views.circle, name="circle"),
    path("<int:circle_id>/agreements/", views.agreements, name="agreements"),
    path("<int:circle_id>/agreements/edit/", views.agreements_edit, name="agreements_edit"),
    path("<int:circle_id>/posts/", views.post_create, name="post_create"),
    path("<int:circle_id>/posts/<int:post_id>/", views.post, name="post"),
    path("<int:circle_id>/chat/", views.chat_send, name="chat_send"),
    path("<int:circle_id>/leave/", views.leave, name="leave"),
    path("<int:circle_id>/remove/", views.remove, name="remove"),
    path("<int:circle_id>/facilitate/", views.facilitate, name="facilitate"),
    path("<int:circle_id>/meetings/", views.meetings, name="meetings"),
    path("<int:circle_id>/meetings/feed/rotate/", views.feed_rotate, name="feed_rotate"),
    path("<int:circle_id>/meetings/feed/<str:token>.ics", views.feed, name="feed"),
    path("<int:circle_id>/partners/", views.partners, name="partners"),
    path("meetings/<int:meeting_id>.ics", views.meeting_ics, name="meeting_ics"),
    path("meetings/<int:meeting_id>/cancel/", views.meeting_delete, name="meeting_delete"),
    path("posts/<int:post_id>/pin/", views.pin, name="pin"),
    path("see/<str:kind>/<int:item_id>/", views.ack, name="ack"),
    path("shares/<int:share_id>/stop/", views.share_revoke, name="share_revoke"),
    path("held/<str:kind>/<int:item_id>/", views.held_choice, name="held_choice"),
]
