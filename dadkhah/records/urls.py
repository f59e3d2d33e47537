from django.urls import path

from dadkhah.records import entry, protected, views

app_name = "records"
urlpatterns = [
    path("", views.home, name="home"),
    path("records/", views.record_list, name="list"),
    path("records/source/new/", entry.source_new, name="source_new"),
    path("records/person/new/", entry.person_new, name="person_new"),
    path("records/event/new/", entry.event_new, name="event_new"),
    path("records/value-field/<str:kind>/", views.value_field, name="value_field"),
    path("records/claims/<slug:uid>/citations/", views.citation_add, name="citation_add"),
    path("records/claims/<slug:uid>/status/", views.claim_status, name="claim_status"),
    path("records/source/<slug:uid>/", views.source_detail, name="source"),
    path("records/person/<slug:uid>/reveal/", protected.reveal_view, name="reveal"),
    path("records/<str:kind>/new/", entry.record_new, name="new"),
    path("records/<str:kind>/<slug:uid>/", views.record_detail, name="detail"),
    path("records/<str:kind>/<slug:uid>/history/", views.record_history, name="history"),
    path("records/<str:kind>/<slug:uid>/claims/", views.claim_add, name="claim_add"),
]
