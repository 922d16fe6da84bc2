"""Mail about Patenschaften, queued in the outbox inside the caller's transaction.

Texts live in `templates/mail/match_*.txt` (first line the subject) and go out in the
volunteer's own language (the one they signed up in). Introduction details reach the
volunteer only after approval, and only if the newcomer consented to passing their
contact on; otherwise the coordinator introduces the two.
"""

from matcher import i18n
from matcher.models import CheckIn, Match, Newcomer, User, Volunteer
from matcher.services.platform import outbox


def approved(match: Match, volunteer: Volunteer, newcomer: Newcomer, actor: User | None) -> None:
    """Tell the volunteer that their Patenschaft was approved."""
    subject, body = i18n.render_mail(
        "match_approved",
        volunteer.locale,
        volunteer=volunteer,
        newcomer=newcomer,
        share_contact=newcomer.consents_to("contact_sharing"),
        coordinator=actor,
    )
    outbox.enqueue("match_approved", volunteer.email, subject, body)


def checkin_reminder(match: Match, checkin: CheckIn) -> None:
    """Remind the volunteer of a coming check-in."""
    subject, body = i18n.render_mail(
        "match_checkin_reminder",
        match.volunteer.locale,
        volunteer=match.volunteer,
        newcomer=match.newcomer,
        checkin=checkin,
    )
    outbox.enqueue("match_checkin_reminder", match.volunteer.email, subject, body)
