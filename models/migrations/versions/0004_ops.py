"""single sign-on: a user's OIDC issuer and subject

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Plain ADD COLUMN and CREATE INDEX: no batch (table copy) on SQLite, where recreating
    # `users` with foreign keys on would cascade into every table that points at it.
    op.add_column('users', sa.Column('oidc_issuer', sa.String(length=500), nullable=True))
    op.add_column('users', sa.Column('oidc_subject', sa.String(length=255), nullable=True))
    op.create_index('ix_users_oidc_identity', 'users', ['oidc_issuer', 'oidc_subject'], unique=True)


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite >= 3.35), again without a table copy.
    op.drop_index('ix_users_oidc_identity', table_name='users')
    op.drop_column('users', 'oidc_subject')
    op.drop_column('users', 'oidc_issuer')
