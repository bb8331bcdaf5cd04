"""Database sessions with a cheaper load (SESSION_ENGINE when Redis is not configured).

Django's db backend loads the session through the ORM on every request; the query is
always the same, so it is written once here. Expiry is enforced exactly as Django does:
an expired or unknown session loads as empty and the member is signed out.
"""

from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.db import connections, router
from django.utils import timezone


class SessionStore(DBStore):
    def load(self) -> dict[str, Any]:
        if not self.session_key:
            return {}
        model = self.model
        alias = router.db_for_read(model)
        connection = connections[alias]
        table = connection.ops.quote_name(model._meta.db_table)
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            # The table name comes from the model, never from input; values are parameters.
            sql = f"SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s"  # noqa: S608
            cursor.execute(sql, [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return {}
        return self.decode(row[0])
