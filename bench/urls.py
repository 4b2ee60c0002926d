from django.http import HttpResponse
from django.template import engines
from django.urls import path
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

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


class BareProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "name", "capability", "lifecycle_stage", "created_at"]


class BareApiView(APIView):
    """The API comparison: 50 rows from the database through a DRF serializer, no sign-in."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    def get(self, request):
        products = Product.unscoped.order_by("pk")[:50]
        return Response({"results": BareProductSerializer(products, many=True).data})


urlpatterns = [
    path("__bench__/bare/", bare_page, name="bench_bare"),
    path("__bench__/bare-api/", BareApiView.as_view(), name="bench_bare_api"),
    *app_urlpatterns,
]
