from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from config import health
from sheets import public

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),  # normally answered by HealthCheckMiddleware
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("public/", public.public_list, name="public_list"),
    path("public/sheets/<int:pk>/", public.public_detail, name="public_detail"),
    path("public/sheets/<int:pk>/export.docx", public.public_download, name="public_download"),
    path("", include("adjustments.urls")),  # 目标调整: /sheets/<id>/adjust/, /api/sheets/<id>/adjustments/
    path("api/", include("sheets.api_urls")),
    path("api/", include("evaluations.api_urls")),
    path("api/", include("people.api_urls")),  # 委托: /api/delegations/
    path("api/", include("monitoring.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("", include("exports.urls")),
    path("wecom/", include("wecom.urls")),
    path("", include("notifications.urls")),
    path("", include("spending.urls")),
    path("", include("people.urls")),
    path("", include("workflow.urls")),
    path("", include("sheets.urls")),
    path("", include("library.urls")),
    path("", include("evaluations.urls")),
    path("", include("monitoring.urls")),
]

handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
