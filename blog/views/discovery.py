"""What helps readers and machines find the blog: ``robots.txt``, the sitemap and the
"Subscribe" page that lists the feeds (docs/blog.md, "Search engines and sharing")."""

from __future__ import annotations

from django.contrib.sitemaps import views as sitemap_views
from django.http import HttpResponse, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from .. import seo
from ..selectors import top_tags
from ..sitemaps import SITEMAPS

# Pages no search engine should crawl: accounts, the writer's own pages, the admin,
# the API and search results (an endless space of URLs).
ROBOTS_DISALLOW = ("/accounts/", "/admin/", "/api/", "/my/", "/search/")
SITEMAP_CACHE_SECONDS = 3600


@require_safe
def favicon(request) -> HttpResponseRedirect:
    """``/favicon.ico``, asked for by browsers on pages that name no icon. The static
    file's address is looked up per request: in production it is the hashed name from
    collectstatic's manifest, which does not exist when the URLconf is imported."""
    return HttpResponseRedirect(static("blog/favicon.svg"))


@require_safe
@cache_control(max_age=SITEMAP_CACHE_SECONDS, public=True)
def robots_txt(request) -> HttpResponse:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW)]
    lines += ["", f"Sitemap: {seo.absolute(reverse('blog:sitemap'))}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


@require_safe
def sitemap_index(request):
    """The index: one sitemap per section, each paginated at 50,000 addresses."""
    response = sitemap_views.index(request, SITEMAPS, sitemap_url_name="blog:sitemap_section")
    return _on_site_url(response)


@require_safe
def sitemap_section(request, section: str):
    return sitemap_views.sitemap(request, SITEMAPS, section=section)


def _on_site_url(response):
    """Django's index builds its addresses from the Sites row; they are rebuilt on
    ``SITE_URL`` like every other address the sitemap gives."""
    scheme, host = seo.site_parts()
    for entry in response.context_data["sitemaps"]:
        path = entry.location.split("://", 1)[-1].partition("/")[2]
        entry.location = f"{scheme}://{host}/{path}"
    return response


class FeedsView(TemplateView):
    """The nav's "Feed" link: the feed addresses to paste into a reader, not raw XML."""

    template_name = "blog/feeds.html"
    tags_listed = 20

    def get_context_data(self, **kwargs):
        return super().get_context_data(tags=top_tags(timezone.now(), self.tags_listed), **kwargs)
