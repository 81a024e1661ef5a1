"""One module per kind of channel, each a ``Sender`` (see ``base``)."""
