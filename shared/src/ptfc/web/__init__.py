"""What the two front ends (services/hub, services/console) share: the backend client, the base
stylesheet (static/govuk.css)."""
