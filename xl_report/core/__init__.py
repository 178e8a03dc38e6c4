"""The pure core: the official form as data, the tally model, aggregation, findings, errors, dates."""
