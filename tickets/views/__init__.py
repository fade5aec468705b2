"""HTML views, split by who uses them: requester pages, staff pages, attachment downloads."""
