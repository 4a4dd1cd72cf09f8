from django import template

from recommendations.search import highlight as highlight_words

register = template.Library()


@register.filter
def highlight(text, words):
    """Search-result text, escaped, with the searched words in <mark>: `text|highlight:words`."""
    return highlight_words(text, words)
