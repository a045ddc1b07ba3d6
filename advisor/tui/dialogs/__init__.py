"""Modal dialogs: export, confirm, team config."""
