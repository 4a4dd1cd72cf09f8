from django import forms
from django.utils import timezone

SEARCH_KINDS = [
    ("recommendations", "Recommendations"),
    ("examples", "Examples"),
    ("references", "References"),
]


class SearchForm(forms.Form):
    """The site search: words, and optionally one kind of result."""

    q = forms.CharField(
        label="Search recommendations, examples and references",
        max_length=200,
        required=False,
        error_messages={"max_length": "Enter 200 characters or fewer to search for."},
    )
    type = forms.ChoiceField(
        choices=[("", "Everything"), *SEARCH_KINDS],
        required=False,
        error_messages={
            "invalid_choice": "“%(value)s” is not a kind of result. Choose from the list."
        },
    )


class ChangesForm(forms.Form):
    """The date from which the changes page lists what changed."""

    since = forms.DateField(
        required=False,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={
            "invalid": "Enter a real date, such as 2026-09-01 (year, month, day).",
        },
    )

    def clean_since(self):
        since = self.cleaned_data["since"]
        if since and since > timezone.localdate():
            raise forms.ValidationError("The date must be today or in the past.")
        return since
