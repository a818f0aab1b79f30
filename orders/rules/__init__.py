"""Automation rules (issue 30, docs/rules.md): conditions and actions stored as data (`schema`), compiled once
per run into Python predicates and evaluated per order by one pure function (`engine`), applied on an
order's first import (orders.importing.page) and on demand (`services`)."""
