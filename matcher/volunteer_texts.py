"""Which texts volunteers read, declared once: the catalogue rule's dividing line.

Every catalogue is complete (`tests/i18n/test_catalogues.py`):

- German has every msgid; English is the msgid itself (`locales.SOURCE_LANGUAGE`).
- Every other volunteer language (`locales.VOLUNTEER_LANGUAGES`: uk, ar, ru, tr, fa) has
  every msgid volunteers can read: those extracted from the files in `MAPPING` (a Babel
  mapping of the volunteer pages, their forms and their mails), the words of the label
  tables in `LABEL_TABLES` and the error messages of `ERRORS`.
- Every other msgid is staff-only. Staff pages are German or English only
  (`matcher.i18n.offered_languages`), so in the volunteer languages such a msgid falls back
  to English, declared by leaving its file out of `MAPPING`. A new string on a staff page
  needs German only; a new string on a volunteer page or in a volunteer's mail fails the
  test until it is translated into every volunteer language.
"""

from pathlib import Path
from typing import Final

#: The Babel mapping of the files volunteers read (paths relative to the `matcher` package).
MAPPING: Final = Path(__file__).parent / "translations" / "volunteer.cfg"

#: Tables of `matcher.labels` whose words volunteer pages and mails show.
LABEL_TABLES: Final = (
    "VOLUNTEER_STATUS_LABELS",  # the profile's status line
    "LEVEL_LABELS",  # language levels
    "AGE_BAND_LABELS",
    "GENDER_LABELS",
    "TOPIC_LABELS",
    "DAY_LABELS",  # the week grid
    "PART_LABELS",
    "CHILD_AGE_BAND_LABELS",  # the family offer (sign-up and profile)
)

#: Errors (`matcher.web.messages`) a volunteer can meet on sign-up and self-service: code →
#: the parameters they come with there.
ERRORS: Final = {
    "bad_details": {"field": "topics"},
    "no_consent_in_force": {},
    "erased": {},
    "wrong_status": {"entity": "volunteer", "status": "applied"},
}
