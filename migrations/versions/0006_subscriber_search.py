"""subscriber search: an index for finding subscribers by part of an address (pg_trgm on PostgreSQL)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 00:42:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        # pg_trgm ships with PostgreSQL (contrib); a managed database may need it allowed first.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index("ix_subscriber_address_search", "subscriber", ["address"], postgresql_using="gin",
                        postgresql_ops={"address": "gin_trgm_ops"})
    else:
        op.create_index("ix_subscriber_address_search", "subscriber", ["address"])


def downgrade():
    op.drop_index("ix_subscriber_address_search", table_name="subscriber")
