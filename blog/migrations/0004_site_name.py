"""Name the site Lightblog instead of Django's "example.com" placeholder.

allauth's emails say "Hello from <site name>"; links in emails and feeds are built
from the host of the request, so the domain only matters where there is none.
"""

from django.db import migrations


def name_site(apps, schema_editor):
    Site = apps.get_model("sites", "Site")
    sites = Site.objects.using(schema_editor.connection.alias)
    # On a new database the sites app has not made its row yet (it does so after
    # migrate); made here first, it is left alone.
    if not sites.exists():
        sites.create(pk=1, domain="localhost:8000", name="Lightblog")
    else:
        sites.filter(pk=1, domain="example.com").update(domain="localhost:8000", name="Lightblog")


class Migration(migrations.Migration):
    dependencies = [
        ("blog", "0003_roles"),
        ("sites", "0002_alter_domain_unique"),
    ]

    operations = [migrations.RunPython(name_site, migrations.RunPython.noop)]
