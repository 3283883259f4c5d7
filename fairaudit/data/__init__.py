"""fairaudit.data: inputs (core): loading and validating jobs and candidates, label vocabulary, proxy attributes, the audit JSON schema, the rewrites table and the synthetic datasets."""
