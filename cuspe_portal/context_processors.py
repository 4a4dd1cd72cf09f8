from django.conf import settings


def portal(request):
    """The organisation's name and brand, for the header, footer and page titles."""
    return {
        "portal": {
            "organisation_name": settings.PORTAL_ORGANISATION_NAME,
            "service_name": settings.PORTAL_SERVICE_NAME,
            "brand_colour": settings.PORTAL_BRAND_COLOUR,
        }
    }
