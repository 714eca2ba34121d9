"""servparadox: the servitization paradox of Chinese listed manufacturers, from raw data to paper.

The package holds pure, tested functions; the Snakemake workflow (Snakefile, rules/, scripts/) is
thin glue that reads files, calls these functions and writes files.
"""

__version__ = "0.1.0"
