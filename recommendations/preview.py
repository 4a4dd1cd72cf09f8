"""Preview: a draft, or a published item's pending changes, in the public page's template.

Editors open it from the admin; a signed link that expires lets a colleague without an account
see it too. The page carries a "Preview: not published" banner and is never cached or indexed.
"""

from django.conf import settings
from django.core import signing
from django.http import Http404
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from areas.models import Theme

from .models import Example, Recommendation, Reference

PREVIEW_SALT = "recommendations.preview"
PREVIEWABLE = {"recommendation": Recommendation, "example": Example}


def preview_token(item):
    """A signed token naming one item, for a preview link that needs no account."""
    return signing.dumps([item._meta.model_name, item.pk], salt=PREVIEW_SALT)


def _linked(links, name, default, model):
    """The chosen objects of a link field: from the pending changes if they name it."""
    if name in links:
        return model.objects.filter(pk__in=links[name])
    return default


def render_preview(request, item):
    """Render the item's next version with the public template and a preview banner."""
    version, links = item.staged()
    if isinstance(item, Recommendation):
        template = "recommendations/recommendation_preview.html"
        context = {
            "recommendation": version,
            "themes": _linked(links, "themes", item.themes.all(), Theme),
            "related": _linked(links, "related", item.related.all(), Recommendation)
            .published()
            .select_related("area"),
            "examples": _linked(links, "examples", item.examples.all(), Example).published(),
            "sources": _linked(links, "sources", item.sources.all(), Reference),
        }
    else:
        template = "recommendations/example_preview.html"
        context = {
            "example": version,
            "recommendations": item.recommendations.published().with_summary_relations(),
        }
    context["preview_state"] = item.workflow_label
    response = render(request, template, context)
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def preview_link(request, token):
    """The shareable preview: valid while its signature holds and it has not expired."""
    try:
        model_name, pk = signing.loads(
            token, salt=PREVIEW_SALT, max_age=settings.PORTAL_PREVIEW_LINK_MAX_AGE
        )
    except signing.SignatureExpired:
        response = render(request, "recommendations/preview_expired.html", status=410)
        add_never_cache_headers(response)
        return response
    except (signing.BadSignature, ValueError, TypeError):
        raise Http404("This preview link is not valid.") from None
    model = PREVIEWABLE.get(model_name)
    item = model.objects.filter(pk=pk).first() if model else None
    if item is None:
        raise Http404("This item no longer exists.")
    return render_preview(request, item)
