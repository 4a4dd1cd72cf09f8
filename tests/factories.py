import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone
from rest_framework.authtoken.models import Token

from areas.models import Area, Theme
from recommendations.models import (
    Example,
    PublicationState,
    Recommendation,
    Reference,
    Report,
)


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Area
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Test area {n}")
    slug = factory.Sequence(lambda n: f"test-area-{n}")
    code = factory.Sequence(lambda n: f"T{chr(65 + n // 26 % 26)}{chr(65 + n % 26)}")
    position = factory.Sequence(lambda n: 100 + n)
    summary = "An area made for a test."


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Test theme {n}")
    slug = factory.Sequence(lambda n: f"test-theme-{n}")


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Report
        django_get_or_create = ["slug"]

    title = factory.Sequence(lambda n: f"Test report {n}")
    short_title = factory.Sequence(lambda n: f"Report {n}")
    slug = factory.Sequence(lambda n: f"report-{n}")
    year = 2017


class ReferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reference

    title = factory.Sequence(lambda n: f"Evidence paper {n}")
    authors = "A. Author"
    year = 2016


class ExampleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Example

    title = factory.Sequence(lambda n: f"Case study {n}")
    slug = factory.Sequence(lambda n: f"case-study-{n}")
    summary = "What happened, briefly."
    publication_state = PublicationState.PUBLISHED


class RecommendationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recommendation
        skip_postgeneration_save = True

    report = factory.SubFactory(ReportFactory)
    area = factory.LazyFunction(lambda: Area.objects.get(slug="governance"))
    title = factory.Sequence(lambda n: f"Recommendation number {n}")
    slug = factory.Sequence(lambda n: f"recommendation-{n}")
    summary = "Do a sensible thing for a good reason."
    rationale = "Because **evidence** says so."
    publication_state = PublicationState.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)

    class Params:
        draft = factory.Trait(publication_state=PublicationState.DRAFT, published_at=None)

    @factory.post_generation
    def themes(self, create, extracted, **kwargs):
        if create and extracted:
            self.themes.set(extracted)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def permissions(self, create, extracted, **kwargs):
        """`permissions=["recommendations.view_recommendation", ...]` grants those."""
        if create and extracted:
            for name in extracted:
                app_label, codename = name.split(".")
                self.user_permissions.add(
                    Permission.objects.get(content_type__app_label=app_label, codename=codename)
                )


class TokenFactory(factory.django.DjangoModelFactory):
    """An API token, as an administrator issues one in the admin."""

    class Meta:
        model = Token

    user = factory.SubFactory(UserFactory)
