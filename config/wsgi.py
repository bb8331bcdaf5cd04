import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# Load the crisis-screening data now, not in the first member's request (~0.6 s).
from kinwell.safety.screening import warm_up  # noqa: E402

warm_up()
