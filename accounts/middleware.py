from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.urls import Resolver404, resolve


class LoginRequiredByDefaultMiddleware:
    """Every page needs login unless its URL name is on the reviewed allow-list in settings.

    Unknown paths fall through to the normal 404, and static files never reach here in
    production (WhiteNoise answers them first).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated and not self._is_public(request.path_info):
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)

    @staticmethod
    def _is_public(path: str) -> bool:
        if path.startswith(settings.STATIC_URL):
            return True
        try:
            match = resolve(path)
        except Resolver404:
            return True
        return match.view_name in settings.ANONYMOUS_ALLOWED_URL_NAMES
