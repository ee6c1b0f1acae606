from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (None, {"fields": ("receives_digest",)}),
    )
    list_display = ("username", "email", "is_staff", "receives_digest", "date_joined")
    list_filter = (*DjangoUserAdmin.list_filter, "receives_digest")
