"""A deliberately inaccessible page, for the harness self-test only."""

from django.http import HttpResponse
from django.urls import path

BROKEN_HTML = """<!DOCTYPE html>
<html lang="en"><head><title>Broken on purpose</title></head>
<body><main>
  <h1>Broken on purpose</h1>
  <img src="/static/vendor/nhsuk-frontend/assets/images/favicon.svg">
  <form><input type="text" name="unlabelled"></form>
</main></body></html>"""


def broken(request):
    return HttpResponse(BROKEN_HTML)


urlpatterns = [path("broken/", broken, name="broken_page")]
