"""The data model, one concept per module."""

from matcher.models.agency import Agency
from matcher.models.audit import AuditEvent
from matcher.models.base import Base, today, utcnow
from matcher.models.checkin import CheckIn
from matcher.models.consent import ConsentRecord
from matcher.models.document import DocumentText, FirstMeeting
from matcher.models.import_job import ImportJob
from matcher.models.language import NewcomerLanguage, VolunteerLanguage
from matcher.models.match import Match, MatchEvent
from matcher.models.newcomer import Newcomer
from matcher.models.note import Note, NoteVersion
from matcher.models.onboarding import OnboardingDone, OnboardingStep
from matcher.models.outbox import OutboxMessage
from matcher.models.pair_rule import PairRule
from matcher.models.profile import DuplicateDismissal, ProfileChange
from matcher.models.run import MatchRun
from matcher.models.search import need_trigrams
from matcher.models.second_factor import RecoveryCode, SecondFactor
from matcher.models.staff_session import SignIn, StaffSession
from matcher.models.tenant import TenantScoped
from matcher.models.user import User
from matcher.models.volunteer import Volunteer

need_trigrams(Base.metadata)

__all__ = [
    "Agency",
    "AuditEvent",
    "Base",
    "CheckIn",
    "ConsentRecord",
    "DocumentText",
    "DuplicateDismissal",
    "FirstMeeting",
    "ImportJob",
    "Match",
    "MatchEvent",
    "MatchRun",
    "Newcomer",
    "NewcomerLanguage",
    "OnboardingDone",
    "OnboardingStep",
    "Note",
    "NoteVersion",
    "OutboxMessage",
    "PairRule",
    "RecoveryCode",
    "SecondFactor",
    "SignIn",
    "StaffSession",
    "ProfileChange",
    "TenantScoped",
    "User",
    "Volunteer",
    "VolunteerLanguage",
    "today",
    "utcnow",
]
