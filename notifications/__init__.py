"""Mail and chat for session events: what to send (`plan`, pure), how it reads (Jinja2 templates in
`templates/`), and the two senders (`smtp`, `chat`). The activity that calls them lives in `activities.notify`."""
