"""One module per failure category; each analyzer is a function `Reads -> list[Finding]` whose docstring (and
its module's) names the Kubernetes behaviour it encodes."""
