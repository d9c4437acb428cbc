"""Tables of the registry service's own database."""

from sqlalchemy import MetaData
from sqlalchemy.orm import registry

from shared.service import messaging_tables

metadata = MetaData()
mapper_registry = registry(metadata=metadata)
messaging = messaging_tables(metadata)
