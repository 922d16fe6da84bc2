"""Mail about Patenschaften, queued in the outbox inside the caller's transaction.

Texts live in `templates/mail/match_*.txt` (first line the subject) and go out in German,
the language the agencies work in. Introduction details reach the volunteer only after
approval, and only if the newcomer consented to passing their contact on; otherwise the
coordinator introduces the two.
"""

from matcher.models import CheckIn, Match, Newcomer, User, Volunteer
from matcher.services.matching import problem as match_problem
from matcher.services.platform import mail, outbox

MAIL_LANGUAGE = "de"


def approved(match: Match, volunteer: Volunteer, newcomer: Newcomer, actor: User | None) -> None:
    """Tell the volunteer that their Patenschaft was approved."""
    share = match_problem.has_consent(newcomer_id=newcomer.id, purpose="contact_sharing")
    subject, body = mail.render(
        "match_approved",
        MAIL_LANGUAGE,
        volunteer=volunteer,
        newcomer=newcomer,
        share_contact=share,
        coordinator=actor,
    )
    outbox.enqueue("match_approved", volunteer.email, subject, body)


def checkin_reminder(match: Match, checkin: CheckIn) -> None:
    """Remind the volunteer of a coming check-in."""
    subject, body = mail.render(
        "match_checkin_reminder",
        MAIL_LANGUAGE,
        volunteer=match.volunteer,
        newcomer=match.newcomer,
        checkin=checkin,
    )
    outbox.enqueue("match_checkin_reminder", match.volunteer.email, subject, body)
