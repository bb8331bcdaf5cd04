from django.urls import path

from kinwell.assessments import views

app_name = "assessments"

urlpatterns = [
    path("assessments/", views.index, name="index"),
    path("assessments/results/<int:response_id>/", views.result, name="result"),
    path("assessments/<slug:instrument_id>/", views.take, name="take"),
    path("assessments/<slug:instrument_id>/history/", views.history, name="history"),
    path("assessments/<slug:instrument_id>/schedule/", views.schedule, name="schedule"),
    path(
        "fhir/Questionnaire/<slug:instrument_id>",
        views.fhir_questionnaire,
        name="fhir_questionnaire",
    ),
    path(
        "fhir/QuestionnaireResponse/<int:response_id>",
        views.fhir_response,
        name="fhir_response",
    ),
]
