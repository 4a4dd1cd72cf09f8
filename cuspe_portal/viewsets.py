"""What every API endpoint does the same way: lookups, CSV lists, validators, preconditions.

ETags are a hash of the body, so they change exactly when the representation does;
Last-Modified comes from the data each endpoint shows (its `*_last_modified` methods).
"""

import hashlib
import time

from django.db.models import Max, Value
from django.shortcuts import get_object_or_404
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date, parse_etags
from rest_framework import exceptions, permissions, renderers, routers, status, views, viewsets
from rest_framework.response import Response
from rest_framework.reverse import reverse

from cuspe_portal.rest import CSVRenderer, csv_cell


def latest(*sources):
    """The latest moment among `sources`, or None when they hold none.

    Each source is a queryset, whose rows' `updated_at` counts, or a (queryset, field) pair.
    One query: a MAX of one field per source, joined by UNION ALL. PostgreSQL answers the MAX
    of an indexed field by reading one index entry; a MAX of an expression (such as the
    later of two fields) would read every row.
    """
    maxima = []
    for source in sources:
        queryset, field = source if isinstance(source, tuple) else (source, "updated_at")
        maxima.append(
            queryset.prefetch_related(None)
            .order_by()
            .annotate(source=Value(len(maxima)))
            .values("source")  # a constant: no GROUP BY, so one MAX over every row
            .annotate(latest=Max(field))
            .values_list("latest", flat=True)
        )
    moments = [moment for moment in maxima[0].union(*maxima[1:], all=True) if moment]
    return max(moments, default=None)


class PortalViewSet(viewsets.GenericViewSet):
    """The base of every endpoint. Subclasses say when their data last changed
    (`list_last_modified`, `object_last_modified`); lookups ignore the list's filters."""

    lookup_value_regex = "[^/]+"
    last_modified = None

    def get_renderers(self):
        renderer_list = super().get_renderers()
        if self.action == "list":
            renderer_list.append(CSVRenderer())
        return renderer_list

    # Reading

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        self.last_modified = self.list_last_modified(queryset)
        if request.accepted_renderer.format == "csv":
            return Response(self.csv_table(queryset))
        page = self.paginate_queryset(queryset)
        serializer = self.get_serializer(page, many=True)
        return self.get_paginated_response(serializer.data)

    def get_object(self, for_update=False):
        """The object named in the URL, among those this reader may see (not filtered)."""
        queryset = self.get_queryset()
        if for_update:
            queryset = queryset.select_for_update(of=("self",))
        instance = get_object_or_404(queryset, **self.object_lookup())
        self.check_object_permissions(self.request, instance)
        return instance

    def object_lookup(self):
        return {self.lookup_field: self.kwargs[self.lookup_url_kwarg or self.lookup_field]}

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        self.last_modified = self.object_last_modified(instance)
        return Response(self.get_serializer(instance).data)

    def list_last_modified(self, queryset):
        return latest(queryset)

    def object_last_modified(self, instance):
        return instance.updated_at

    def csv_table(self, queryset):
        """Every matching row (no pagination), in the serializer's field order."""
        serializer = self.get_serializer(queryset, many=True)
        columns = list(serializer.child.fields)
        rows = [[csv_cell(row[column]) for column in columns] for row in serializer.data]
        return {"columns": columns, "rows": rows}

    # Writing

    def check_preconditions(self, instance):
        """Refuse a write whose If-Match no longer names the current representation (412)."""
        if_match = self.request.headers.get("If-Match")
        if if_match is None or if_match.strip() == "*":
            return
        representation = self.serializer_class(instance, context=self.get_serializer_context())
        current = self.representation_etag(representation.data)
        if current not in parse_etags(if_match):
            raise PreconditionFailed()

    def representation_etag(self, data):
        """The ETag of `data` as a GET in JSON would send it (what If-Match is compared with)."""
        renderer = renderers.JSONRenderer()
        return etag_of(renderer.render(data, renderer.media_type, self.get_renderer_context()))

    # Every response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_vary_headers(response, ["Accept", "Authorization", "Cookie"])
        # "private" only for a signed-in reader (passing private=False would write it anyway).
        # Who the reader is was settled by `initial()`; a request refused before that (an
        # unknown ?format=) is not looked up now: DRF has marked the transaction for rollback
        # and it takes no more queries.
        reader = getattr(request, "_user", None)
        if reader is not None and reader.is_authenticated:
            patch_cache_control(response, no_cache=True, private=True)
        else:
            patch_cache_control(response, no_cache=True)
        if response.status_code >= 400 and getattr(response, "accepted_renderer", None):
            if response.accepted_renderer.format == "csv":  # errors stay JSON, even for ?format=csv
                response.accepted_renderer = renderers.JSONRenderer()
                response.accepted_media_type = "application/json"
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            return self.conditional(request, response)
        if request.method in ("POST", "PUT", "PATCH") and response.status_code in (200, 201, 202):
            response["ETag"] = self.representation_etag(response.data)
        return response

    def conditional(self, request, response):
        response.render()
        response["ETag"] = etag_of(response.content)
        last_modified = None
        if self.last_modified is not None:
            # HTTP dates are whole seconds: round up, and say nothing until that second has
            # passed, so a change later in the same second can never hide behind a 304.
            last_modified = int(self.last_modified.timestamp()) + 1
            if last_modified <= time.time():
                response["Last-Modified"] = http_date(last_modified)
            else:
                last_modified = None
        return get_conditional_response(
            request, etag=response["ETag"], last_modified=last_modified, response=response
        )


def etag_of(body):
    """A strong validator for a response body."""
    return '"' + hashlib.sha256(body).hexdigest()[:40] + '"'


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = (
        "It has changed since you read it: fetch it again, re-apply your change and send it "
        "with the new ETag in If-Match."
    )
    default_code = "precondition_failed"


class APIRootView(routers.APIRootView):
    """Version 1 of the portal's API: the recommendations of the council's transformation
    reports, with their areas, themes, reports, examples and references.

    Anyone may read what the public site shows. Trusted tools write with a token
    (`Authorization: Token <key>`, issued in the admin) and the model permissions of its user.
    `schema` is the OpenAPI 3 document and `docs` its interactive documentation.
    """

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        namespace = request.resolver_match.namespace
        for key, name in [
            ("withdrawn-recommendations", "recommendation-withdrawn"),
            ("schema", "schema"),
            ("docs", "docs"),
        ]:
            response.data[key] = reverse(f"{namespace}:{name}", request=request)
        return response


class NotFoundView(views.APIView):
    """Any other address under the API: a 404 in JSON, like every other API error."""

    permission_classes = [permissions.AllowAny]
    schema = None

    def get(self, request, *args, **kwargs):
        raise exceptions.NotFound("There is nothing at this address in the API.")

    post = put = patch = delete = get
