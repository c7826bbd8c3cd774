class ReadOnlyAdminMixin:
    """For rows written only by the system (fetches, the LLM, the pipeline, publishing):
    the admin shows them and runs its actions, but never adds, edits or deletes one."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
