"""The public pages: short function views that fetch, filter, paginate and render.

Only published content reaches a template; every page runs a fixed number of queries whatever
the number of rows (tests/recommendations/test_query_budgets.py holds the budgets).
"""

from collections import Counter
from datetime import datetime, time, timedelta
from itertools import groupby

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseServerError
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_safe

from areas.models import Area, Theme
from cuspe_portal.context_processors import portal
from cuspe_portal.spreadsheets import SafeCSV

from .filters import RecommendationFilter
from .forms import SEARCH_KINDS, ChangesForm, SearchForm
from .models import (
    Example,
    ProgressUpdate,
    PublicChange,
    Recommendation,
    Reference,
    Report,
    grouped_counts,
)
from .resources import RecommendationResource
from .search import RankedHits

PAGE_SIZE = 20
SEARCH_PAGE_SIZE = 20
EXPORT_FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8"}


@require_safe
def home(request):
    published = Recommendation.objects.published()
    areas = list(Area.objects.with_recommendation_counts(published))
    theme_counts = grouped_counts({"themes": published})["themes"]
    context = {
        "report": Report.objects.filter(is_demonstration=False).first(),
        "areas": areas,
        "themes": Theme.objects.counted(theme_counts),
        "total": sum(area.recommendation_count for area in areas),  # each is in one area
    }
    return render(request, "home.html", context)


@require_safe
def about(request):
    published = Recommendation.objects.published()
    context = {"reports": Report.objects.with_recommendation_counts(published)}
    return render(request, "about.html", context)


@require_safe
def area_detail(request, slug):
    area = get_object_or_404(Area, slug=slug)
    recommendations = Recommendation.objects.published().in_area(area)
    return _browse(
        request, "areas/area_detail.html", recommendations, fixed={"area": area.slug}, area=area
    )


@require_safe
def theme_list(request):
    published = Recommendation.objects.published()
    areas = list(Area.objects.with_recommendation_counts(published))
    counts = published.counts_by_area_and_theme()
    theme_counts = Counter()
    for (_area, theme), count in counts.items():  # each recommendation is in one area
        theme_counts[theme] += count
    themes = Theme.objects.counted(theme_counts)
    matrix = [
        (theme, [(area, counts.get((area.pk, theme.pk), 0)) for area in areas]) for theme in themes
    ]
    total = sum(area.recommendation_count for area in areas)  # each is in exactly one area
    context = {"areas": areas, "themes": themes, "matrix": matrix, "total": total}
    return render(request, "areas/theme_list.html", context)


@require_safe
def theme_detail(request, slug):
    theme = get_object_or_404(Theme, slug=slug)
    recommendations = Recommendation.objects.published().with_theme(theme)
    return _browse(
        request,
        "areas/theme_detail.html",
        recommendations,
        fixed={"theme": theme.slug},
        theme=theme,
    )


@require_safe
def recommendation_list(request):
    recommendations = Recommendation.objects.published()
    return _browse(request, "recommendations/recommendation_list.html", recommendations)


@require_safe
def recommendation_export(request, file_format):
    """Every published recommendation the list's filters match, as CSV or JSON."""
    filterset = RecommendationFilter(
        request.GET, queryset=Recommendation.objects.published().ordered_by("")
    )
    if filterset.errors:
        problems = [f"{name}: {' '.join(errors)}" for name, errors in filterset.errors.items()]
        return HttpResponseBadRequest(
            "The export was not made, because some filters could not be used:\n"
            + "\n".join(problems)
            + "\n",
            content_type="text/plain; charset=utf-8",
        )
    # A list, not a queryset: import-export pages through a prefetching queryset (more
    # queries as rows grow); the list costs one query plus one per prefetched relation.
    rows = list(RecommendationResource.exportable(filterset.qs, public=True))
    dataset = RecommendationResource().export(queryset=rows)
    if file_format == "csv":
        # The admin's CSV export format, so no cell opens as a formula (see
        # cuspe_portal/spreadsheets.py); and a byte-order mark, so spreadsheet programs read
        # UTF-8 (the admin's import reads "utf-8-sig" and drops it).
        content = "\ufeff" + SafeCSV().export_data(dataset)
    else:
        content = dataset.export("json")
    response = HttpResponse(content, content_type=EXPORT_FORMATS[file_format])
    filename = f"recommendations-{timezone.localdate():%Y-%m-%d}.{file_format}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
def recommendation_detail(request, reference):
    published = Recommendation.objects.published().select_related("area", "report")
    # References are stored in capitals: an exact match uses the unique index (see api.py).
    recommendation = published.filter(reference=reference.upper()).first()
    if recommendation is None:
        # An address made from the slug (as links to the recommendation may be) still works.
        by_slug = published.filter(slug=reference).first()
        if by_slug is None:
            raise Http404("No published recommendation has this reference.")
        return redirect(by_slug, permanent=True)
    if reference != recommendation.reference:
        return redirect(recommendation, permanent=True)
    context = {
        "recommendation": recommendation,
        "themes": recommendation.themes.all(),
        "related": recommendation.related.published().select_related("area").ordered_by(""),
        "examples": recommendation.examples.published(),
        "sources": recommendation.sources.all(),
        "updates": recommendation.updates.public().latest_first(),
    }
    return render(request, "recommendations/recommendation_detail.html", context)


@require_safe
def example_list(request):
    illustrated = Recommendation.objects.published().select_related("area").ordered_by("")
    examples = Example.objects.published().prefetch_related(
        Prefetch("recommendations", queryset=illustrated, to_attr="public_recommendations")
    )
    return render(request, "recommendations/example_list.html", {"examples": examples})


@require_safe
def example_detail(request, slug):
    example = get_object_or_404(Example.objects.published(), slug=slug)
    context = {
        "example": example,
        "recommendations": example.recommendations.published()
        .with_summary_relations()
        .ordered_by(""),
    }
    return render(request, "recommendations/example_detail.html", context)


@require_safe
def search(request):
    """One ranked search over published recommendations, examples and cited references."""
    form = SearchForm(request.GET)
    form.is_valid()
    words = form.cleaned_data.get("q", "")
    kind = form.cleaned_data.get("type", "")
    context = {"form": form, "words": words, "kind": kind, "kinds": SEARCH_KINDS}
    if not words or form.errors:
        return render(request, "recommendations/search.html", context)

    searchable = {
        "recommendations": Recommendation.objects.published(),
        "examples": Example.objects.published(),
        "references": Reference.objects.cited_publicly(),
    }
    hits = RankedHits(searchable, words)
    totals = hits.totals
    if kind:
        hits = hits.of_kind(kind)
    page, page_error = _page(Paginator(hits, SEARCH_PAGE_SIZE), request.GET.get("page"))
    context.update(
        totals=totals,
        total=sum(totals.values()),
        page=page,
        page_error=page_error,
        results=_search_results(page.object_list if page else [], searchable, words),
        kind_links=_kind_links(request, totals),
        page_links=_page_links(request.path, request.GET, page),
    )
    status = 404 if page_error else 200
    return render(request, "recommendations/search.html", context, status=status)


def _search_results(hits, searchable, words):
    """The page's hits as objects with highlighted title and snippet: one query per kind."""
    wanted = {}
    for kind, pk, _rank in hits:
        wanted.setdefault(kind, []).append(pk)
    related = {
        "recommendations": lambda rows: rows.select_related("area", "report"),
        "examples": lambda rows: rows,
        "references": lambda rows: rows.prefetch_related(
            Prefetch(
                "recommendations",
                queryset=Recommendation.objects.published().select_related("area").ordered_by(""),
                to_attr="public_recommendations",
            )
        ),
    }
    found = {
        kind: {
            row.pk: row
            for row in related[kind](searchable[kind].filter(pk__in=pks).highlighted(words))
        }
        for kind, pks in wanted.items()
    }
    return [(kind, found[kind][pk]) for kind, pk, _rank in hits if pk in found[kind]]


def _kind_links(request, totals):
    """Links that narrow the search to one kind of result (or widen it to all)."""
    links = []
    for value, label in [("", "Everything"), *SEARCH_KINDS]:
        changes = {"type": value} if value else {}
        url = _address(request.path, request.GET, drop={"page", "type"}, **changes)
        count = totals[value] if value else sum(totals.values())
        links.append({"value": value, "label": label, "count": count, "url": url})
    return links


@require_safe
def robots_txt(request):
    sitemap_url = request.build_absolute_uri(reverse("recommendations:sitemap"))
    return render(request, "robots.txt", {"sitemap_url": sitemap_url}, content_type="text/plain")


def server_error(request):
    """The 500 page, made without the request, the session or the database: any of them may
    be what failed."""
    context = {**portal(None), "request_id": getattr(request, "request_id", "")}
    html = loader.render_to_string("500.html", context)
    return HttpResponseServerError(html)


# A filterable list of recommendations: the list page, and an area's or a theme's page.


def _browse(request, template, recommendations, *, fixed=None, **context):
    """Filter, facet, count and paginate `recommendations` for a list page.

    `fixed` names filters the page itself sets (the area on an area's page): they are neither
    offered nor read from the address, but they are kept in the export links.
    """
    fixed = fixed or {}
    query = request.GET.copy()
    for name in list(query):
        values = [value for value in query.getlist(name) if value.strip()]
        if name in fixed or not values:
            query.pop(name)
        else:
            query.setlist(name, values)
    filterset = RecommendationFilter(query.copy(), queryset=recommendations.ordered_by(""))
    errors = filterset.errors
    for name in errors:  # what could not be used is dropped from every link on the page
        query.pop(name, None)
    facets = filterset.facets(omit=fixed)
    # A facet with one option says nothing, unless it is in use or wrong.
    shown = [
        facet for facet in facets if len(facet.options) > 1 or facet.chosen_options or facet.error
    ]
    offered = {"q", "sort", *(facet.name for facet in shown)}
    kept = [
        (name, value)
        for name in query
        if name in filterset.filters and name not in offered and name != "page"
        for value in query.getlist(name)
    ]
    paginator = Paginator(filterset.qs.with_summary_relations(), PAGE_SIZE)
    page, page_error = _page(paginator, query.get("page"))
    query.pop("page", None)
    chips = _chips(request.path, query, facets, filterset)
    export_query = query.copy()
    for name, value in fixed.items():
        export_query[name] = value
    context.update(
        filterset=filterset,
        errors=[
            (f"filter-{name}" if name in offered else "filters", error)
            for name, messages in errors.items()
            for error in messages
        ],
        facets=shown,
        kept=kept,
        words=filterset.form.cleaned_data.get("q") or "",
        sort=filterset.form.cleaned_data.get("sort") or "",
        sort_choices=filterset.filters["sort"].extra["choices"],
        count=paginator.count,
        page=page,
        page_error=page_error,
        page_links=_page_links(request.path, query, page),
        first_page_url=_address(request.path, query),
        chips=chips,
        clear_url=_address(request.path, query, keep={"sort"}),
        export_query=export_query.urlencode(),
        filtered_title=", ".join(chip["label"] for chip in chips[:3])
        + (f" and {len(chips) - 3} more" if len(chips) > 3 else ""),
    )
    status = 404 if page_error else 200
    return render(request, template, context, status=status)


def _page(paginator, number):
    """(page, None), or (None, a message) when there is no such page."""
    try:
        return paginator.page(number or 1), None
    except PageNotAnInteger:
        return None, "Page numbers are whole numbers, such as 2."
    except EmptyPage:
        pages = paginator.num_pages
        plural = "page" if pages == 1 else "pages"
        return None, f"There is no page {number}: the results fill {pages} {plural}."


def _address(path, query, *, keep=None, drop=(), **changes):
    """`path` with `query` (a QueryDict), `changes` set, `drop` (or all but `keep`) left out."""
    query = query.copy()
    for name in list(query):
        if name in drop or (keep is not None and name not in keep):
            query.pop(name)
    for name, value in changes.items():
        query[name] = value
    encoded = query.urlencode()
    return f"{path}?{encoded}" if encoded else path


def _page_links(path, query, page):
    """GOV.UK pagination items for `page`: numbers (with gaps), previous and next."""
    if page is None or page.paginator.num_pages < 2:
        return None

    def url(number):
        if number > 1:
            return _address(path, query, page=number)
        return _address(path, query, drop={"page"})

    items = [
        {"number": number, "url": url(number), "current": number == page.number}
        if isinstance(number, int)
        else {"ellipsis": True}
        for number in page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)
    ]
    return {
        "items": items,
        "previous": url(page.previous_page_number()) if page.has_previous() else None,
        "next": url(page.next_page_number()) if page.has_next() else None,
    }


def _chips(path, query, facets, filterset):
    """Each filter in use, with the address of the same view without it."""
    chips = []
    for facet in facets:
        for option in facet.options:
            if option.chosen:
                others = [value for value in query.getlist(facet.name) if value != option.value]
                without = query.copy()
                without.setlist(facet.name, others)
                url = _address(path, without)
                chips.append({"group": facet.label, "label": option.label, "url": url})
    cleaned = filterset.form.cleaned_data
    if cleaned.get("q"):
        url = _address(path, query, drop={"q"})
        chips.append({"group": "Words", "label": f"“{cleaned['q']}”", "url": url})
    if cleaned.get("updated_since"):
        since = date_format(timezone.localtime(cleaned["updated_since"]), "j F Y, H:i")
        url = _address(path, query, drop={"updated_since"})
        chips.append({"group": "Updated since", "label": since, "url": url})
    return chips


# Tracking: progress, changes, briefing packs.

STATUS_COLOURS = {
    Recommendation.Status.PROPOSED: "#505a5f",
    Recommendation.Status.UNDER_CONSIDERATION: "#4c2c92",
    Recommendation.Status.ACCEPTED: "#1d70b8",
    Recommendation.Status.IN_PROGRESS: "#8a4100",
    Recommendation.Status.IMPLEMENTED: "#00703c",
    Recommendation.Status.NOT_TAKEN_FORWARD: "#942514",
}


@require_safe
def progress(request):
    published = Recommendation.objects.published()
    areas = list(Area.objects.all())
    statuses = [
        {"value": value, "label": label, "colour": STATUS_COLOURS[value]}
        for value, label in Recommendation.Status.choices
    ]
    area_rows = _status_rows(
        [
            (area.name, area.slug, area.get_absolute_url(), counts)
            for area, counts in published.status_counts_by("area", areas)
        ],
        statuses,
    )
    overall = published.status_counts()
    context = {
        "statuses": statuses,
        "overall": {"total": sum(overall.values())},
        "implemented": overall.get(Recommendation.Status.IMPLEMENTED, 0),
        "areas": area_rows,
        "area_rows": zip(
            area_rows, [mean for _, mean in published.mean_progress_by_area(areas)], strict=True
        ),
        "themes": _status_rows(
            [
                (theme.name, theme.slug, theme.get_absolute_url(), counts)
                for theme, counts in published.status_counts_by("themes", Theme.objects.all())
            ],
            statuses,
        ),
        "overdue": published.overdue().count(),
        "needs_review": published.needs_review().count(),
        "review_after_days": settings.PORTAL_REVIEW_AFTER_DAYS,
    }
    return render(request, "recommendations/progress.html", context)


def _status_rows(groups, statuses):
    """Counts by status for each group, with the segments of a stacked bar (in per cent)."""
    rows = []
    for name, slug, url, counts in groups:
        total = sum(counts.values())
        segments, start = [], 0.0
        for status in statuses:
            count = counts.get(status["value"], 0)
            width = 100 * count / total if total else 0
            segments.append(
                {**status, "count": count, "x": round(start, 3), "width": round(width, 3)}
            )
            start += width
        rows.append({"name": name, "slug": slug, "url": url, "total": total, "segments": segments})
    return rows


CHANGES_DEFAULT_DAYS = 30
CHANGES_LIMIT = 1000


@require_safe
def changes(request):
    form = ChangesForm(request.GET)
    if not form.is_valid():
        context = {"form": form, "days": [], "since": None}
        return render(request, "recommendations/changes.html", context, status=400)
    since = form.cleaned_data["since"] or timezone.localdate() - timedelta(
        days=CHANGES_DEFAULT_DAYS
    )
    start = timezone.make_aware(datetime.combine(since, time.min))
    found = list(
        PublicChange.objects.visible()
        .since(start)
        .select_related("recommendation", "example")[: CHANGES_LIMIT + 1]
    )
    days = [
        (day, list(items))
        for day, items in groupby(found[:CHANGES_LIMIT], key=lambda c: timezone.localdate(c.at))
    ]
    context = {
        "form": form,
        "since": since,
        "days": days,
        "count": min(len(found), CHANGES_LIMIT),
        "truncated": len(found) > CHANGES_LIMIT,
    }
    return render(request, "recommendations/changes.html", context)


BRIEFING_LIMIT = 300


def _briefing(request):
    """The recommendations and the words of a briefing pack, from the list's filters."""
    filterset = RecommendationFilter(
        request.GET, queryset=Recommendation.objects.published().ordered_by("")
    )
    if not filterset.is_valid():
        return filterset, None
    latest_public = Prefetch(
        "updates",
        queryset=ProgressUpdate.objects.public().latest_first(),
        to_attr="public_updates",
    )
    found = list(
        filterset.qs.select_related("area", "report").prefetch_related(latest_public)[
            : BRIEFING_LIMIT + 1
        ]
    )
    return filterset, {
        "recommendations": found[:BRIEFING_LIMIT],
        "truncated": len(found) > BRIEFING_LIMIT,
        "limit": BRIEFING_LIMIT,
        "filters_in_words": _filters_in_words(filterset),
        "generated_on": timezone.localdate(),
        "list_url": f"{reverse('recommendations:list')}?{request.GET.urlencode()}",
        "pdf_url": f"{reverse('recommendations:briefing-pdf')}?{request.GET.urlencode()}",
    }


def _filters_in_words(filterset):
    """The filters in use, as a reader would say them: ["Area: Governance", ...]."""
    data = filterset.form.cleaned_data
    words = []
    for name, label in [("area", "Area"), ("theme", "Theme")]:
        if data.get(name):
            words.append(f"{label}: {', '.join(str(choice) for choice in data[name])}")
    for name, label in [("status", "Status"), ("priority", "Priority"), ("horizon", "Horizon")]:
        if data.get(name):
            names = dict(filterset.filters[name].extra["choices"])
            words.append(f"{label}: {', '.join(str(names[value]) for value in data[name])}")
    if data.get("report"):
        words.append(f"Report: {data['report']}")
    if data.get("q"):
        words.append(f"Words: “{data['q']}”")
    return words or ["All published recommendations"]


@require_safe
def briefing_pack(request):
    filterset, context = _briefing(request)
    if context is None:
        return render(
            request, "recommendations/briefing_error.html", {"filterset": filterset}, status=400
        )
    return render(request, "recommendations/briefing_pack.html", context)


@require_safe
def briefing_pack_pdf(request):
    filterset, context = _briefing(request)
    if context is None:
        return render(
            request, "recommendations/briefing_error.html", {"filterset": filterset}, status=400
        )
    try:
        from weasyprint import CSS, HTML
    except OSError:  # the system's Pango library is missing: the HTML pack still prints
        return render(request, "recommendations/briefing_unavailable.html", status=503)
    html = loader.render_to_string(
        "recommendations/briefing_pack_pdf.html", context, request=request
    )
    stylesheet = CSS(filename=finders.find("css/briefing.css"))
    # The pack needs nothing from outside: refusing every fetch keeps an editor's link from
    # making the server request an address (SSRF).
    document = HTML(
        string=html, base_url=request.build_absolute_uri("/"), url_fetcher=_refuse_fetch
    )
    pdf = document.write_pdf(stylesheets=[stylesheet])
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"briefing-pack-{context['generated_on']:%Y-%m-%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _refuse_fetch(url, *args, **kwargs):
    raise ValueError(f"The briefing pack fetches nothing ({url}).")
