"""The dashboard mounted in Django's URLs, behind Django's authentication."""

from __future__ import annotations

import json
import os
import re

import redis
from django.contrib.auth.models import User
from django.test import TestCase


class DashboardTests(TestCase):
    def test_anonymous_visitors_are_sent_to_the_login_page(self) -> None:
        answer = self.client.get("/admin/jobs/queues")
        self.assertEqual(answer.status_code, 302)
        self.assertEqual(answer["Location"], "/login/?next=/admin/jobs/queues")

    def test_signed_in_users_who_are_not_staff_are_refused(self) -> None:
        self.client.force_login(User.objects.create_user("pat"))
        self.assertEqual(self.client.get("/admin/jobs/queues").status_code, 403)

    def test_staff_see_the_dashboard_with_links_under_the_mount(self) -> None:
        self.client.force_login(User.objects.create_user("ada", is_staff=True))
        page = self.client.get("/admin/jobs/queues")
        self.assertEqual(page.status_code, 200)
        self.assertIn('href="/admin/jobs/', page.content.decode())
        self.assertEqual(self.client.get("/admin/jobs/api/stats").json()["dead"], 0)

    def test_staff_can_use_the_dashboards_forms_through_django(self) -> None:
        r = redis.Redis.from_url(os.environ["WH_TEST_REDIS_URL"], decode_responses=True)
        self.addCleanup(r.close)
        jid = "abcabcabcabcabcabcabcabc"
        r.zadd("{dj}:dead", {json.dumps({"class": "X", "args": [], "jid": jid}): 1})
        self.client.force_login(User.objects.create_user("ada", is_staff=True))
        page = self.client.get("/admin/jobs/dead").content.decode()
        token = re.search(r'<meta name="csrf-token" content="([0-9a-f]+)">', page)
        assert token
        forged = self.client.post(f"/admin/jobs/dead/1.0-{jid}", {"action": "delete"})
        self.assertEqual(forged.status_code, 403)
        self.assertEqual(r.zcard("{dj}:dead"), 1)
        answer = self.client.post(
            f"/admin/jobs/dead/1.0-{jid}", {"action": "delete", "csrf_token": token.group(1)}
        )
        self.assertEqual(answer.status_code, 303)
        self.assertEqual(r.zcard("{dj}:dead"), 0)
