"""review action items: what the review decided, its owner, due date and when it was done

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 01:02:00.000000

"""
from alembic import op
import sqlalchemy as sa
import statuspage.models.base


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('action_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('owner_email', sa.String(length=320), nullable=False),
    sa.Column('due_at', statuspage.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('done_at', statuspage.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', statuspage.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', statuspage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_action_item_incident_id_incident'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_item'))
    )
    with op.batch_alter_table('action_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_item_incident_id'), ['incident_id'], unique=False)


def downgrade():
    with op.batch_alter_table('action_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_item_incident_id'))

    op.drop_table('action_item')
