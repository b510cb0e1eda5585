"""Building and shipping multigsi: Lambda packages, templates, the resource type's package and
its registration. Used by the CLI and by the CDK construct alike (neither owns it)."""
