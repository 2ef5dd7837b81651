"""marshmallow schemas: the only place besides api/ handlers that knows the wire format."""
