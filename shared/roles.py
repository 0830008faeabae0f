"""The roles a token can carry (contract: `tilts token create --role ROLE`)."""

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    MEDIATOR = "mediator"
    INSTITUTION = "institution"
    AUDITOR = "auditor"
