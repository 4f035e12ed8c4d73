from django.contrib.auth import views as auth_views
from django.urls import path
from viewflow.urls import Site
from viewflow.workflow.flow import FlowAppViewset

from benchmarks.anchor.flows import ApprovalFlow

site = Site(title="Anchor", viewsets=[FlowAppViewset(ApprovalFlow, icon="assignment")])

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("", site.urls),
]
