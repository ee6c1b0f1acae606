"""The roles of the original blog as groups with their permissions.

Permissions are normally created after ``migrate`` finishes (post_migrate); on a new
database they do not exist yet, so they are created here first.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# Frozen copy of blog.permissions.ROLE_PERMISSIONS as of this migration.
ROLE_PERMISSIONS = {
    "default": ["add_comment"],
    "poster": ["add_comment", "add_post", "add_tag"],
    "admin": [
        f"{action}_{model}"
        for model in ("post", "comment", "tag")
        for action in ("add", "change", "delete", "view")
    ]
    + ["view_user"],
}


def create_roles(apps, schema_editor):
    db = schema_editor.connection.alias
    blog = apps.get_app_config("blog")
    blog.models_module = True
    create_permissions(blog, apps=apps, verbosity=0, using=db)
    blog.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(db).get_or_create(name=name)
        permissions = Permission.objects.using(db).filter(
            content_type__app_label="blog", codename__in=codenames
        )
        assert permissions.count() == len(codenames), (name, codenames)
        group.permissions.add(*permissions)


def delete_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(
        name__in=ROLE_PERMISSIONS
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("blog", "0002_post_comment_tag"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, delete_roles)]
