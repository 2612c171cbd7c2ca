"""The nested-virtualization test lab: build, boot, drive and grade bare-metal hypervisors."""

__version__ = "0.1.0"
