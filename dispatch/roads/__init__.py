"""Roads: the travel model of the product (``travel_for``), the road network on disk, its health."""
