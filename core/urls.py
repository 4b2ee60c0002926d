from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("accessibility-statement/", views.accessibility, name="accessibility"),
    path("privacy/", views.privacy, name="privacy"),
    path("cookies/", views.cookies, name="cookies"),
    path("contact/", views.contact, name="contact"),
    path("status/", views.status, name="status"),
]
