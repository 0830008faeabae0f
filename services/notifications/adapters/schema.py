"""The notifications schema: what the fan-out learns from the log, subscriptions, deliveries."""

from __future__ import annotations

from shared.bus.projection import POSITIONS_MIGRATION, advisory_lock_key
from shared.db.migrations import Migration

SCHEMA = "tilts_notifications"
WAKE_CHANNEL = "tilts_notifications_due"  # NOTIFY'd in the fan-out's transaction: delivered on COMMIT
FANOUT = "notifications-fanout"  # the fan-out projection's name (its row in projection_positions)
# Taken (transaction-scoped) by the fan-out before it reads the subscriptions, and by a new
# subscription while it reads the fan-out's position and is inserted: see SubscriptionStore.add.
SUBSCRIBING_LOCK = advisory_lock_key(SCHEMA, f"{FANOUT}:subscribing")

MIGRATIONS = [
    POSITIONS_MIGRATION,
    Migration(2, "directory learnt from the log", """
        CREATE TABLE {schema}.institutions (
            institution_id  text PRIMARY KEY,
            municipality_id text NOT NULL,
            name            text NOT NULL
        );
        CREATE TABLE {schema}.contacts (
            institution_id text NOT NULL,
            contact_id     text NOT NULL,
            name           text NOT NULL,
            role           text NOT NULL,
            PRIMARY KEY (institution_id, contact_id)
        );
        CREATE TABLE {schema}.mediators (
            mediator_id  text PRIMARY KEY,
            display_name text NOT NULL
        );
        CREATE TABLE {schema}.cooperations (
            cooperation_id text PRIMARY KEY,
            institution_id text NOT NULL,
            contact_id     text NOT NULL,
            event_id       text NOT NULL,
            answer         text,
            answered_at    timestamptz
        );
        CREATE TABLE {schema}.referrals (
            referral_id    text PRIMARY KEY,
            institution_id text NOT NULL,
            event_id       text NOT NULL,
            status         text NOT NULL DEFAULT 'made'
        )"""),
    Migration(3, "subscriptions", """
        CREATE TABLE {schema}.subscriptions (
            subscription_id text PRIMARY KEY,
            institution_id  text NOT NULL,
            channel         text NOT NULL CHECK (channel IN ('webhook', 'email')),
            target          text NOT NULL,
            origin          text NOT NULL,
            event_types     text[] NOT NULL,
            digest          text CHECK (digest IN ('daily')),
            sealed_secret   bytea,
            from_sequence   bigint NOT NULL,
            created_at      timestamptz NOT NULL DEFAULT now(),
            created_by      text NOT NULL,
            deleted_at      timestamptz,
            CHECK ((channel = 'webhook') = (sealed_secret IS NOT NULL) OR deleted_at IS NOT NULL)
        );
        CREATE INDEX subscriptions_institution ON {schema}.subscriptions (institution_id)
            WHERE deleted_at IS NULL"""),
    Migration(4, "notices and deliveries", """
        CREATE TABLE {schema}.notices (
            event_id       text PRIMARY KEY,
            event_type     text NOT NULL,
            institution_id text NOT NULL,
            sequence       bigint NOT NULL,
            recorded_at    timestamptz NOT NULL,
            facts          jsonb NOT NULL
        );
        CREATE TABLE {schema}.deliveries (
            delivery_id     text PRIMARY KEY,
            number          bigserial UNIQUE,
            event_id        text NOT NULL REFERENCES {schema}.notices,
            subscription_id text NOT NULL REFERENCES {schema}.subscriptions,
            institution_id  text NOT NULL,
            channel         text NOT NULL,
            origin          text NOT NULL,
            status          text NOT NULL DEFAULT 'pending'
                            CHECK (status IN ('pending', 'delivered', 'failed', 'parked', 'cancelled')),
            attempts        integer NOT NULL DEFAULT 0,
            last_error      text,
            next_attempt_at timestamptz,
            leased_until    timestamptz,
            lease_owner     text,
            created_at      timestamptz NOT NULL DEFAULT now(),
            delivered_at    timestamptz,
            -- the idempotency key: a redelivered event never makes a second delivery
            UNIQUE (event_id, subscription_id)
        );
        CREATE INDEX deliveries_due ON {schema}.deliveries (next_attempt_at)
            WHERE status IN ('pending', 'failed');
        CREATE INDEX deliveries_subscription_open ON {schema}.deliveries (subscription_id)
            WHERE status IN ('pending', 'failed');
        CREATE INDEX deliveries_parked ON {schema}.deliveries (number) WHERE status = 'parked';
        CREATE INDEX deliveries_institution ON {schema}.deliveries (institution_id, number)"""),
    Migration(5, "link uses", """
        CREATE TABLE {schema}.link_uses (
            delivery_id text NOT NULL,
            step        text NOT NULL,
            action      text NOT NULL,
            event       jsonb NOT NULL,
            done        boolean NOT NULL DEFAULT false,
            used_at     timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (delivery_id, step)
        )"""),
    Migration(6, "reach: cooperations and referrals by institution", """
        CREATE INDEX cooperations_institution ON {schema}.cooperations (institution_id);
        CREATE INDEX referrals_institution ON {schema}.referrals (institution_id);
        CREATE INDEX institutions_municipality ON {schema}.institutions (municipality_id)"""),
    # An answer's notice names the cooperation as its first notice did. Rows learnt before this
    # take the names from that first notice where one was stored (else the answer gives ids only).
    Migration(7, "cooperations: mediator and time, for answer notices", """
        ALTER TABLE {schema}.cooperations ADD COLUMN mediator_id text, ADD COLUMN cooperation_time text;
        UPDATE {schema}.cooperations c
        SET mediator_id = n.facts->'mediator'->>'id', cooperation_time = n.facts->>'time'
        FROM {schema}.notices n WHERE n.event_id = c.event_id"""),
    # Likewise a referral's: by its mediator, time and service.
    Migration(8, "referrals: mediator, time and service, for answer notices", """
        ALTER TABLE {schema}.referrals ADD COLUMN mediator_id text, ADD COLUMN referral_time text,
                                       ADD COLUMN service text;
        UPDATE {schema}.referrals r
        SET mediator_id = n.facts->'mediator'->>'id', referral_time = n.facts->>'time', service = n.facts->>'service'
        FROM {schema}.notices n WHERE n.event_id = r.event_id"""),
]
