"""univirt-bundle: build, check and publish the univirt offline bundle (issue 14)."""

FORMAT = 1
NAME = "univirt"
