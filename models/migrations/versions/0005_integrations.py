"""integrations: todo sources, turn indexes, webhook delivery details

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Plain ADD COLUMN and CREATE INDEX: no batch (table copy) on SQLite.
    op.add_column('todos', sa.Column('source', sa.String(length=10), nullable=True))
    op.add_column('webhooks', sa.Column('disabled_reason', sa.String(length=200), nullable=True))
    op.add_column('webhook_deliveries', sa.Column('event_type', sa.String(length=50), nullable=True))
    op.create_index('ix_turns_card_captured', 'turns', ['card_id', 'captured_at', 'id'])
    op.create_index('ix_turns_card_source_captured', 'turns', ['card_id', 'source', 'captured_at', 'id'])
    op.create_index('ix_webhook_deliveries_webhook_event', 'webhook_deliveries', ['webhook_id', 'event_id'])


def downgrade() -> None:
    op.drop_index('ix_webhook_deliveries_webhook_event', table_name='webhook_deliveries')
    op.drop_index('ix_turns_card_source_captured', table_name='turns')
    op.drop_index('ix_turns_card_captured', table_name='turns')
    op.drop_column('webhook_deliveries', 'event_type')
    op.drop_column('webhooks', 'disabled_reason')
    op.drop_column('todos', 'source')
