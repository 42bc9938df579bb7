"""Placeholder until part B of issue 13 (branch i13-pg-b) lands: the open-question index
over ``open_question_sets`` (the schema is in ``0001_initial.sql``)."""
