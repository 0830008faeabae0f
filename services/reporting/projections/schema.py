"""The reporting read models' tables, built by numbered migrations.

Every name is qualified with `{schema}`, so the same steps build a fresh schema next to the
live one for `tilts rebuild reporting`. Every fact row carries the stream `sequence` of the
event that made it (and state changes the sequence of theirs), and its Riga `local_date`, so
any figure can be computed as of a sequence.
"""

from __future__ import annotations

from shared.bus.projection import POSITIONS_MIGRATION
from shared.db.migrations import Migration

SCHEMA = "tilts_reporting"

_REGISTRATIONS = """
    CREATE TABLE {schema}.applied_events (
        event_id text PRIMARY KEY,
        sequence bigint NOT NULL
    );
    CREATE TABLE {schema}.municipalities (
        municipality_id text PRIMARY KEY,
        name            text NOT NULL,
        sequence        bigint NOT NULL
    );
    CREATE TABLE {schema}.institutions (
        institution_id  text PRIMARY KEY,
        municipality_id text NOT NULL,
        name            text NOT NULL,
        kind            text NOT NULL,
        domains         text[] NOT NULL,
        sequence        bigint NOT NULL
    );
    CREATE TABLE {schema}.contacts (
        institution_id text NOT NULL,
        contact_id     text NOT NULL,
        name           text NOT NULL,
        role           text NOT NULL,
        sequence       bigint NOT NULL,
        PRIMARY KEY (institution_id, contact_id)
    );
    CREATE TABLE {schema}.mediator_registrations (
        mediator_id      text NOT NULL,
        sequence         bigint NOT NULL,
        display_name     text NOT NULL,
        municipality_ids text[] NOT NULL,
        PRIMARY KEY (mediator_id, sequence)
    )"""

_FAMILIES = """
    CREATE TABLE {schema}.families (
        family_id                  text PRIMARY KEY,
        municipality_id            text NOT NULL,
        sequence                   bigint NOT NULL,
        event_id                   text NOT NULL,
        registered_at              timestamptz NOT NULL,
        registered_by              text NOT NULL,
        consent_given_on           date NOT NULL,
        consent_scope              text NOT NULL,
        personal                   jsonb,
        consent_withdrawn_sequence bigint,
        consent_withdrawn_at       timestamptz,
        erased_sequence            bigint,
        erased_at                  timestamptz,
        erasure_reason             text
    );
    CREATE INDEX families_municipality ON {schema}.families (municipality_id);
    CREATE TABLE {schema}.persons (
        family_id  text NOT NULL,
        person_id  text NOT NULL,
        relation   text NOT NULL,
        birth_year integer NOT NULL,
        personal   jsonb,
        event_id   text NOT NULL,
        sequence   bigint NOT NULL,
        PRIMARY KEY (family_id, person_id)
    );
    CREATE TABLE {schema}.cases (
        case_id         text PRIMARY KEY,
        family_id       text NOT NULL,
        municipality_id text NOT NULL,
        domain          text NOT NULL,
        need            text NOT NULL,
        description     text,
        opened_at       timestamptz NOT NULL,
        opened_on       date NOT NULL,
        opened_by       text NOT NULL,
        sequence        bigint NOT NULL,
        event_id        text NOT NULL,
        closed_sequence bigint,
        closed_at       timestamptz,
        closed_by       text,
        resolution      text,
        closing_note    text
    );
    CREATE INDEX cases_family ON {schema}.cases (family_id, sequence);
    CREATE INDEX cases_municipality ON {schema}.cases (municipality_id, sequence)"""

# The columns every fact row has (see projections/work.py `stamped`).
_STAMP = """
        event_id        text NOT NULL,
        sequence        bigint NOT NULL,
        time            timestamptz NOT NULL,
        local_date      date NOT NULL,
        municipality_id text NOT NULL,
        mediator_id     text NOT NULL,"""

_WORK = f"""
    CREATE TABLE {{schema}}.activities (
        activity_id      text PRIMARY KEY,{_STAMP}
        kind             text NOT NULL,
        domain           text NOT NULL,
        family_id        text,
        case_id          text,
        person_ids       text[] NOT NULL,
        participants     integer,
        duration_minutes integer,
        note             text
    );
    CREATE INDEX activities_day ON {{schema}}.activities (local_date, municipality_id);
    CREATE INDEX activities_mediator ON {{schema}}.activities (mediator_id, local_date);
    CREATE INDEX activities_case ON {{schema}}.activities (case_id) WHERE case_id IS NOT NULL;
    CREATE TABLE {{schema}}.cooperations (
        cooperation_id    text PRIMARY KEY,{_STAMP}
        institution_id    text NOT NULL,
        contact_id        text NOT NULL,
        domain            text NOT NULL,
        channel           text NOT NULL,
        purpose           text NOT NULL,
        family_id         text,
        case_id           text,
        answer            text CHECK (answer IN ('acknowledged', 'disputed')),
        answer_sequence   bigint,
        answered_at       timestamptz,
        answer_contact_id text,
        answer_note       text,
        answer_event_id   text
    );
    CREATE INDEX cooperations_ledger ON {{schema}}.cooperations (time, cooperation_id);
    CREATE INDEX cooperations_institution ON {{schema}}.cooperations (institution_id, time, cooperation_id);
    CREATE INDEX cooperations_mediator ON {{schema}}.cooperations (mediator_id, local_date);
    CREATE INDEX cooperations_day ON {{schema}}.cooperations (local_date, municipality_id);
    CREATE INDEX cooperations_case ON {{schema}}.cooperations (case_id) WHERE case_id IS NOT NULL;
    CREATE TABLE {{schema}}.referrals (
        referral_id        text PRIMARY KEY,{_STAMP}
        case_id            text NOT NULL,
        family_id          text,
        institution_id     text NOT NULL,
        service            text NOT NULL,
        accepted_sequence  bigint,
        accepted_at        timestamptz,
        accepted_note      text,
        completed_sequence bigint,
        completed_at       timestamptz,
        completed_note     text,
        declined_sequence  bigint,
        declined_at        timestamptz,
        declined_note      text
    );
    CREATE INDEX referrals_institution ON {{schema}}.referrals (institution_id, sequence);
    CREATE INDEX referrals_day ON {{schema}}.referrals (local_date, municipality_id);
    CREATE INDEX referrals_mediator ON {{schema}}.referrals (mediator_id, local_date);
    CREATE INDEX referrals_case ON {{schema}}.referrals (case_id);
    CREATE TABLE {{schema}}.outcomes (
        outcome_id text PRIMARY KEY,{_STAMP}
        case_id    text NOT NULL,
        family_id  text,
        kind       text NOT NULL,
        person_ids text[] NOT NULL,
        note       text
    );
    CREATE INDEX outcomes_day ON {{schema}}.outcomes (local_date, municipality_id);
    CREATE INDEX outcomes_mediator ON {{schema}}.outcomes (mediator_id, local_date);
    CREATE INDEX outcomes_case ON {{schema}}.outcomes (case_id)"""

_REACH = """
    CREATE TABLE {schema}.mediator_days (
        municipality_id text NOT NULL,
        mediator_id     text NOT NULL,
        local_date      date NOT NULL,
        sequence        bigint NOT NULL,
        PRIMARY KEY (local_date, municipality_id, mediator_id)
    );
    CREATE TABLE {schema}.family_days (
        municipality_id text NOT NULL,
        mediator_id     text NOT NULL,
        family_id       text NOT NULL,
        local_date      date NOT NULL,
        sequence        bigint NOT NULL,
        PRIMARY KEY (local_date, municipality_id, mediator_id, family_id)
    );
    CREATE INDEX family_days_mediator ON {schema}.family_days (mediator_id, local_date);
    CREATE INDEX family_days_family ON {schema}.family_days (family_id);
    CREATE TABLE {schema}.person_days (
        municipality_id text NOT NULL,
        mediator_id     text NOT NULL,
        family_id       text NOT NULL,
        person_id       text NOT NULL,
        local_date      date NOT NULL,
        sequence        bigint NOT NULL,
        PRIMARY KEY (local_date, municipality_id, mediator_id, family_id, person_id)
    );
    CREATE INDEX person_days_mediator ON {schema}.person_days (mediator_id, local_date)"""

_REPORTS = """
    CREATE TABLE {schema}.reports (
        report_id   text PRIMARY KEY,
        mediator_id text NOT NULL,
        month       text NOT NULL,
        sequence    bigint NOT NULL
    );
    CREATE INDEX reports_mediator_month ON {schema}.reports (mediator_id, month);
    CREATE TABLE {schema}.report_history (
        report_id text NOT NULL,
        sequence  bigint NOT NULL,
        event_id  text NOT NULL,
        action    text NOT NULL CHECK (action IN ('submitted', 'approved', 'returned')),
        time      timestamptz NOT NULL,
        actor     text NOT NULL,
        narrative jsonb,
        note      text,
        PRIMARY KEY (report_id, sequence)
    );
    CREATE TABLE {schema}.evaluations (
        evaluation_id   text PRIMARY KEY,
        event_id        text NOT NULL,
        sequence        bigint NOT NULL,
        time            timestamptz NOT NULL,
        local_date      date NOT NULL,
        municipality_id text NOT NULL,
        institution_id  text NOT NULL,
        contact_id      text NOT NULL,
        mediator_id     text NOT NULL,
        domain          text NOT NULL,
        answers         jsonb NOT NULL
    );
    CREATE INDEX evaluations_mediator ON {schema}.evaluations (mediator_id, local_date)"""

_TALLIES = """
    CREATE TABLE {schema}.month_mediators (
        municipality_id text NOT NULL,
        month           date NOT NULL,
        mediator_id     text NOT NULL,
        PRIMARY KEY (month, municipality_id, mediator_id)
    );
    CREATE TABLE {schema}.month_families (
        municipality_id text NOT NULL,
        month           date NOT NULL,
        family_id       text NOT NULL,
        days            integer NOT NULL,  -- bit d-1 set: reached on day d of the month
        PRIMARY KEY (month, municipality_id, family_id)
    );
    CREATE TABLE {schema}.year_persons (
        municipality_id text NOT NULL,
        family_id       text NOT NULL,
        person_id       text NOT NULL,
        year            integer NOT NULL,
        months          integer NOT NULL,  -- bit m-1 set: named in month m
        PRIMARY KEY (year, municipality_id, family_id, person_id)
    );
    CREATE TABLE {schema}.month_activities (
        municipality_id text NOT NULL,
        month           date NOT NULL,
        kind            text NOT NULL,
        domain          text NOT NULL,
        n               integer NOT NULL,
        PRIMARY KEY (month, municipality_id, kind, domain)
    );
    CREATE TABLE {schema}.month_cooperations (
        municipality_id text NOT NULL,
        month           date NOT NULL,
        institution_id  text NOT NULL,
        domain          text NOT NULL,
        n               integer NOT NULL,
        acknowledged    integer NOT NULL,
        PRIMARY KEY (month, municipality_id, institution_id, domain)
    );
    CREATE TABLE {schema}.month_outcomes (
        municipality_id text NOT NULL,
        month           date NOT NULL,
        kind            text NOT NULL,
        n               integer NOT NULL,
        PRIMARY KEY (month, municipality_id, kind)
    );
    -- Read models built before the tallies existed get them from their facts.
    INSERT INTO {schema}.month_mediators
        SELECT DISTINCT municipality_id, date_trunc('month', local_date)::date, mediator_id FROM {schema}.mediator_days;
    INSERT INTO {schema}.month_families
        SELECT municipality_id, date_trunc('month', local_date)::date, family_id,
               bit_or(1 << (extract(day FROM local_date)::int - 1))
        FROM {schema}.family_days GROUP BY 1, 2, 3;
    INSERT INTO {schema}.year_persons
        SELECT municipality_id, family_id, person_id, extract(year FROM local_date)::int,
               bit_or(1 << (extract(month FROM local_date)::int - 1))
        FROM {schema}.person_days GROUP BY 1, 2, 3, 4;
    INSERT INTO {schema}.month_activities
        SELECT municipality_id, date_trunc('month', local_date)::date, kind, domain, count(*)
        FROM {schema}.activities GROUP BY 1, 2, 3, 4;
    INSERT INTO {schema}.month_cooperations
        SELECT municipality_id, date_trunc('month', local_date)::date, institution_id, domain, count(*),
               count(*) FILTER (WHERE answer = 'acknowledged')
        FROM {schema}.cooperations GROUP BY 1, 2, 3, 4;
    INSERT INTO {schema}.month_outcomes
        SELECT municipality_id, date_trunc('month', local_date)::date, kind, count(*)
        FROM {schema}.outcomes GROUP BY 1, 2, 3"""

MIGRATIONS = [
    POSITIONS_MIGRATION,
    Migration(2, "registrations", _REGISTRATIONS),
    Migration(3, "families and cases", _FAMILIES),
    Migration(4, "work facts", _WORK),
    Migration(5, "reach roll-ups", _REACH),
    Migration(6, "reports and evaluations", _REPORTS),
    Migration(7, "monthly tallies", _TALLIES),
    Migration(8, "work on a family outside its cases", """
        CREATE INDEX activities_family ON {schema}.activities (family_id)
            WHERE family_id IS NOT NULL AND case_id IS NULL;
        CREATE INDEX cooperations_family ON {schema}.cooperations (family_id)
            WHERE family_id IS NOT NULL AND case_id IS NULL"""),
    # The time the erasure event carries is the client's; this is when the intake received it. Null
    # for erasures projected before this migration, until `tilts rebuild reporting`.
    Migration(9, "when an erasure was received", """
        ALTER TABLE {schema}.families ADD COLUMN erasure_recorded_at timestamptz"""),
    # An activity or outcome id is unique within its case (the intake checks), not across cases:
    # keyed by it, the second case's row was dropped while the monthly tallies counted both, so
    # reports over the same events disagreed. One row per event. Rows dropped before this
    # migration come back with `tilts rebuild reporting --force` (the reports they are in change).
    Migration(10, "a row per activity and outcome event", """
        ALTER TABLE {schema}.activities DROP CONSTRAINT activities_pkey;
        ALTER TABLE {schema}.activities ADD PRIMARY KEY (event_id);
        CREATE INDEX activities_id ON {schema}.activities (activity_id);
        ALTER TABLE {schema}.outcomes DROP CONSTRAINT outcomes_pkey;
        ALTER TABLE {schema}.outcomes ADD PRIMARY KEY (event_id);
        CREATE INDEX outcomes_id ON {schema}.outcomes (outcome_id)"""),
    # Disputed cooperations are counted beside acknowledged ones (a dispute, like an
    # acknowledgement, counts in the month of the cooperation it answers).
    Migration(11, "disputed cooperations in the monthly tallies", """
        ALTER TABLE {schema}.month_cooperations ADD COLUMN disputed integer NOT NULL DEFAULT 0;
        UPDATE {schema}.month_cooperations m SET disputed = d.n
        FROM (SELECT municipality_id, date_trunc('month', local_date)::date AS month, institution_id, domain,
                     count(*)::int AS n
              FROM {schema}.cooperations WHERE answer = 'disputed' GROUP BY 1, 2, 3, 4) d
        WHERE (m.municipality_id, m.month, m.institution_id, m.domain)
            = (d.municipality_id, d.month, d.institution_id, d.domain)"""),
    # The participants activities record (an information session's audience, say) are summed
    # beside the count of activities.
    Migration(12, "participants in the monthly activity tallies", """
        ALTER TABLE {schema}.month_activities ADD COLUMN participants integer NOT NULL DEFAULT 0;
        UPDATE {schema}.month_activities m SET participants = a.n
        FROM (SELECT municipality_id, date_trunc('month', local_date)::date AS month, kind, domain,
                     sum(participants)::int AS n
              FROM {schema}.activities WHERE participants IS NOT NULL GROUP BY 1, 2, 3, 4) a
        WHERE (m.municipality_id, m.month, m.kind, m.domain) = (a.municipality_id, a.month, a.kind, a.domain)"""),
]
"""Applied at start to the live schema, and to a fresh schema by a rebuild."""

ACCESS_SCHEMA = "tilts_reporting_access"
ACCESS_MIGRATIONS = [
    Migration(1, "family file reads", """
        CREATE TABLE {schema}.family_reads (
            id             bigserial PRIMARY KEY,
            at             timestamptz NOT NULL DEFAULT now(),
            actor          text NOT NULL,
            role           text NOT NULL,
            family_id      text NOT NULL,
            reason         text,
            personal_shown boolean NOT NULL,
            status         smallint NOT NULL,
            as_of_sequence bigint NOT NULL
        );
        CREATE INDEX family_reads_family ON {schema}.family_reads (family_id, id);
        CREATE INDEX family_reads_actor ON {schema}.family_reads (actor, id);
        CREATE INDEX family_reads_at ON {schema}.family_reads (at)"""),
]
"""The access log lives apart from the read models: it is not derived from events, so a rebuild
(which replaces the read-model schema) must never touch it."""
