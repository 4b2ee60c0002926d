from django.http import HttpResponse
from django.template import engines
from django.urls import path

from config.urls import urlpatterns as app_urlpatterns
from portfolio.models import Product

_BARE = engines["django"].from_string(
    "<!DOCTYPE html><html lang='en'><head><title>Bare</title></head><body><table>"
    "{% for p in products %}<tr><td>{{ p.pk }}</td><td>{{ p.name }}</td><td>{{ p.capability }}</td></tr>{% endfor %}"
    "</table></body></html>"
)


def bare_page(request):
    """The comparison page: 50 rows from the database in a minimal template, no login."""
    products = list(Product.unscoped.order_by("pk")[:50])
    return HttpResponse(_BARE.render({"products": products}))


urlpatterns = [path("__bench__/bare/", bare_page, name="bench_bare"), *app_urlpatterns]
