"""Screens: the main screen and the load-error screen."""
