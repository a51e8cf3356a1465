"""Interventions and effect estimation: one generic sweep over sites, and TE/NIE/AE statistics."""
