"""Built-in catalogs (accelerators and offerings), shipped as package data `advisor.catalogs`."""
