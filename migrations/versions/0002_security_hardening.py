"""security hardening: per-tenant access secrets and ids never reused, TOTP failure tracking and
encrypted secrets, Twilio inbound dedup

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 23:55:00

"""
import secrets

from alembic import op
import sqlalchemy as sa
import statuspage.models.base


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    conn = op.get_bind()
    sqlite = conn.dialect.name == 'sqlite'
    if sqlite:
        # Recreating `tenant` drops the old table while other tables point at it: SQLite's advice
        # for such a change is to switch foreign keys off for it (outside a transaction; inside one,
        # deferring the check to the commit, by when the new table holds the same ids, does it).
        conn.exec_driver_sql('PRAGMA foreign_keys=OFF')
        conn.exec_driver_sql('PRAGMA defer_foreign_keys=ON')
    # tenant: a random secret per tenant for its access links; on SQLite, AUTOINCREMENT so a purged
    # tenant's id is never reused (recreating the table is the only way SQLite adds it).
    with op.batch_alter_table('tenant', schema=None, recreate='always' if sqlite else 'auto',
                              table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.add_column(sa.Column('access_secret', sa.String(length=64), nullable=True))
    tenant = sa.table('tenant', sa.column('id', sa.Integer), sa.column('access_secret', sa.String))
    for (tenant_id,) in conn.execute(sa.select(tenant.c.id)).all():
        conn.execute(tenant.update().where(tenant.c.id == tenant_id).values(access_secret=secrets.token_hex(16)))
    with op.batch_alter_table('tenant', schema=None, table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.alter_column('access_secret', existing_type=sa.String(length=64), nullable=False)
    if sqlite:
        conn.exec_driver_sql('PRAGMA foreign_keys=ON')

    with op.batch_alter_table('admin_user', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=64), type_=sa.String(length=255),
                              existing_nullable=True)
        batch_op.add_column(sa.Column('totp_pending_secret', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('totp_failures', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('totp_last_failure_at', statuspage.models.base.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('totp_locked', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('subscriber', schema=None) as batch_op:
        batch_op.alter_column('webhook_secret', existing_type=sa.String(length=128), type_=sa.String(length=255),
                              existing_nullable=True)

    op.create_table('inbound_message',
    sa.Column('sid', sa.String(length=64), nullable=False),
    sa.Column('received_at', statuspage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sid', name=op.f('pk_inbound_message'))
    )
    with op.batch_alter_table('inbound_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_message_received_at'), ['received_at'], unique=False)


def downgrade():
    with op.batch_alter_table('inbound_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_message_received_at'))
    op.drop_table('inbound_message')

    with op.batch_alter_table('subscriber', schema=None) as batch_op:
        batch_op.alter_column('webhook_secret', existing_type=sa.String(length=255), type_=sa.String(length=128),
                              existing_nullable=True)

    with op.batch_alter_table('admin_user', schema=None) as batch_op:
        batch_op.drop_column('totp_locked')
        batch_op.drop_column('totp_last_failure_at')
        batch_op.drop_column('totp_failures')
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_pending_secret')
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=255), type_=sa.String(length=64),
                              existing_nullable=True)

    with op.batch_alter_table('tenant', schema=None) as batch_op:
        batch_op.drop_column('access_secret')
