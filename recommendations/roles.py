"""The editorial roles and what each may do.

The groups are created by a migration; their permissions are set here, in code, after every
`migrate`, so a deploy always brings them in line with this table.
"""

from django.contrib.auth.models import Group, Permission

CONTENT = ["recommendation", "example", "reference"]
STRUCTURE = ["area", "theme", "report"]
EVERYTHING = [*CONTENT, *STRUCTURE, "issuedreference", "progressupdate"]

VIEWERS = "Viewers"
EDITORS = "Editors"
PUBLISHERS = "Publishers"

ROLE_PERMISSIONS = {
    # Read everything in the admin, drafts included; change nothing.
    VIEWERS: [f"view_{model}" for model in EVERYTHING],
    # Write drafts of the content and send them for review; never publish or delete.
    EDITORS: [
        *(f"view_{model}" for model in EVERYTHING),
        *(f"{action}_{model}" for action in ("add", "change") for model in CONTENT),
    ],
    # Everything editors do, plus publish, unpublish, archive, schedule and delete content,
    # look after the areas, themes and reports, and record progress (the programme lead).
    PUBLISHERS: [
        *(f"{action}_progressupdate" for action in ("add", "change", "delete")),
        *(f"view_{model}" for model in EVERYTHING),
        *(f"{action}_{model}" for action in ("add", "change", "delete") for model in CONTENT),
        *(f"{action}_{model}" for action in ("add", "change") for model in STRUCTURE),
        "publish_recommendation",
        "publish_example",
    ],
}


def roles_sync(**kwargs):
    """Give each role exactly the permissions in ROLE_PERMISSIONS (a post_migrate handler)."""
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(
            content_type__app_label__in=["areas", "recommendations"], codename__in=codenames
        )
        group.permissions.set(permissions)
