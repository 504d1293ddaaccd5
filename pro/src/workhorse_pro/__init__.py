"""workhorse-pro: the Pro tier of workhorse (requires a license key)."""

from .license_gate import FeatureNotLicensed, require_pro

__all__ = ["FeatureNotLicensed", "require_pro"]
