"""Forms of "Heute zu tun": the opt-in to the weekly digest."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField


class DigestForm(FlaskForm):
    """A coordinator's choice to get the weekly digest mail."""

    weekly_digest = BooleanField(_l("Send me a weekly summary of this list by e-mail"))
