from django.urls import path

from dadkhah.counting import views

app_name = "counting"
urlpatterns = [
    path("", views.report_page, name="report"),
    path("report.pdf", views.report_pdf, name="pdf"),
    path("report.html", views.report_html, name="html"),
]
