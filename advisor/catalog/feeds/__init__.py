"""Importers of public price feeds (the SkyPilot catalog) into ordinary offerings."""
