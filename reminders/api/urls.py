"""The reminders' API routes, mounted by ``config/api_router.py`` under ``/api/``."""

from rest_framework.routers import SimpleRouter

from .views import ReminderViewSet

app_name = "reminders"

router = SimpleRouter()
router.register("reminders", ReminderViewSet, basename="reminder")

urlpatterns = router.urls
