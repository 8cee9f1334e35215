-- The webhook inbox gets a database of its own, apart from Dagster's tables.
CREATE DATABASE inbox OWNER flintt;
