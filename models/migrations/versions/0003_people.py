"""card view marks: when each person last looked at a card (unread cards)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'card_views',
        sa.Column('reader', sa.String(length=40), nullable=False),
        sa.Column('card_id', sa.String(length=40), nullable=False),
        sa.Column('viewed_at', models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['card_id'], ['cards.id'], name=op.f('fk_card_views_card_id_cards'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('reader', 'card_id', name=op.f('pk_card_views')),
    )
    with op.batch_alter_table('card_views') as batch:
        batch.create_index(batch.f('ix_card_views_card_id'), ['card_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('card_views') as batch:
        batch.drop_index(batch.f('ix_card_views_card_id'))
    op.drop_table('card_views')
