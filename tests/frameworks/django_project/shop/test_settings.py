"""A malformed WORKHORSE setting fails with an error that names the key and the fix."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.test import SimpleTestCase, override_settings

from workhorse.contrib.django import conf


class SettingsTests(SimpleTestCase):
    def assert_refused(self, value: object, message: str) -> None:
        with (
            override_settings(WORKHORSE=value),
            self.assertRaisesRegex(ImproperlyConfigured, message),
        ):
            conf.load()

    def test_malformed_settings_are_refused_clearly(self) -> None:
        self.assert_refused(["REDIS_URL"], "must be a dict")
        self.assert_refused({"REDIS_ULR": "x"}, "unknown key.*REDIS_ULR.*known keys")
        self.assert_refused({"ON_COMMIT": "yes"}, "ON_COMMIT.*True or False")
        self.assert_refused({"REDIS_URL": 6379}, "REDIS_URL.*must be a string")
        self.assert_refused({"DASHBOARD_AUTH": 3}, "DASHBOARD_AUTH.*callable")
        self.assert_refused({"SETTINGS": "x"}, "SETTINGS.*dict of workhorse settings")

    def test_the_dashboard_check_may_be_a_dotted_path(self) -> None:
        with override_settings(WORKHORSE={"DASHBOARD_AUTH": "shop.test_settings.everyone"}):
            self.assertIs(conf.load().dashboard_auth, everyone)


def everyone(request: object) -> bool:
    return True
