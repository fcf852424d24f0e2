"""a pre-session's conversation is an agent session; a CLI session's own id

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('agent_sessions') as batch:
        batch.add_column(sa.Column('engine_session_id', sa.String(length=200), nullable=True))
    with op.batch_alter_table('pre_sessions') as batch:
        batch.add_column(sa.Column('agent_session_id', sa.String(length=40), nullable=True))
        batch.create_foreign_key(
            batch.f('fk_pre_sessions_agent_session_id_agent_sessions'), 'agent_sessions',
            ['agent_session_id'], ['id'], ondelete='SET NULL',
        )


def downgrade() -> None:
    with op.batch_alter_table('pre_sessions') as batch:
        batch.drop_constraint(batch.f('fk_pre_sessions_agent_session_id_agent_sessions'), type_='foreignkey')
        batch.drop_column('agent_session_id')
    with op.batch_alter_table('agent_sessions') as batch:
        batch.drop_column('engine_session_id')
