"""The permission names publishing checks, spelled once (the groups holding them are made in migration 0003)."""

# Approve, reject and reopen entries (Editor, Chief editor).
REVIEW_ENTRY = "publishing.review_entry"
# Publish and unpublish days (Chief editor).
PUBLISH_DAY = "publishing.publish_day"
# Open the review pages and the post-editing figures.
VIEW_ENTRY = "publishing.view_entry"
# Save an entry's text and note, restore revisions, ask for new drafts.
CHANGE_ENTRY = "publishing.change_entry"
