"""The domain model. Import from here: `from statuspage.models import Incident`."""
from .admin import ROLE_RANK, ROLES, AdminUser, ApiToken, AuditEntry
from .base import SoftDeleteMixin, UTCDateTime, utcnow
from .component import COMPONENT_SEVERITY, COMPONENT_STATUSES, Component, ComponentGroup
from .delivery import ACCEPTED_STATUSES, DELIVERY_STATUSES, FINAL_STATUSES, Delivery
from .incident import (
    ACTIVE_MAINTENANCE_STATUSES,
    CLOSED_STATUSES,
    IMPACTS,
    INCIDENT_STATUSES,
    MAINTENANCE_STATUSES,
    VISIBILITIES,
    Incident,
    IncidentComponent,
    IncidentUpdate,
    Playbook,
    incident_tenant,
)
from .idempotency import IdempotencyKey
from .inbound import InboundMessage
from .integration import ALERT_STATES, INTEGRATION_KINDS, RESOLVE_MODES, Alert, AlertGroup, Integration
from .response import (
    DEFAULT_POLICY, NOTE_KINDS, RESPONSE_ROLES, SEVERITIES, SEVERITY_FOR_IMPACT, ActionItem, IncidentNote, Responder,
    SeverityPolicy)
from .site import Setting, SiteState, TenantState
from .subscriber import Subscriber, subscriber_component
from .tenant import Tenant
from .upstream import UPSTREAM_KINDS, UpstreamEntry, UpstreamFeed

__all__ = [name for name in dir() if not name.startswith("_")]
