"""skillmix: curate LM pretraining data into a weighted token manifest."""

__version__ = "0.1.0"
