"""inbound monitoring: integrations (secret URL kept as a hash), alert groups and their drafts, alerts by fingerprint

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 00:18:08.142564

"""
from alembic import op
import sqlalchemy as sa
import statuspage.models.base


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('integration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('token_hint', sa.String(length=8), nullable=False),
    sa.Column('component_map', sa.JSON(), nullable=False),
    sa.Column('component_label', sa.String(length=100), nullable=False),
    sa.Column('severity_label', sa.String(length=100), nullable=False),
    sa.Column('severity_map', sa.JSON(), nullable=False),
    sa.Column('resolve_mode', sa.String(length=16), nullable=False),
    sa.Column('last_received_at', statuspage.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('received_count', sa.Integer(), nullable=False),
    sa.Column('created_at', statuspage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', statuspage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', statuspage.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integration')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_integration_token_hash'))
    )
    with op.batch_alter_table('integration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_integration_deleted_at'), ['deleted_at'], unique=False)

    op.create_table('alert_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('integration_id', sa.Integer(), nullable=False),
    sa.Column('group_key', sa.String(length=255), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('created_at', statuspage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_alert_group_incident_id_incident'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['integration_id'], ['integration.id'], name=op.f('fk_alert_group_integration_id_integration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_group')),
    sa.UniqueConstraint('integration_id', 'group_key', name='uq_alert_group_key')
    )
    op.create_table('alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('integration_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=128), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=True),
    sa.Column('component_status', sa.String(length=32), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('labels', sa.JSON(), nullable=False),
    sa.Column('starts_at', statuspage.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ends_at', statuspage.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', statuspage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['component_id'], ['component.id'], name=op.f('fk_alert_component_id_component'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['group_id'], ['alert_group.id'], name=op.f('fk_alert_group_id_alert_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['integration_id'], ['integration.id'], name=op.f('fk_alert_integration_id_integration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert')),
    sa.UniqueConstraint('integration_id', 'fingerprint', name='uq_alert_fingerprint')
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_component_id'), ['component_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_group_id'), ['group_id'], unique=False)



def downgrade():
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_group_id'))
        batch_op.drop_index(batch_op.f('ix_alert_component_id'))

    op.drop_table('alert')
    op.drop_table('alert_group')
    with op.batch_alter_table('integration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_integration_deleted_at'))

    op.drop_table('integration')
