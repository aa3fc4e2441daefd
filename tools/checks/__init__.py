"""Checks of the warehouse and the dbt project: data, structure, diagrams, docs."""
