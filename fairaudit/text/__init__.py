"""fairaudit.text: what the analysis reads (core, below the engine): Unicode normalisation for analysis, language and mixed-script warnings, the gender-coded word lexicon."""
