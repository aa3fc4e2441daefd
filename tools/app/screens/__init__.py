"""One module per page; each has TITLE, SLUG and render(view)."""
