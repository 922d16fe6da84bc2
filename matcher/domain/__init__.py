"""The domain rules, each written once, with no Flask in them.

- `errors`: the one error type that crosses from the services to the views, by kind.
- `eligibility`: who can be matched, as SQL expressions on the models with their Python
  twins (the models mix them in); the certificate's validity; which pairs are ruled out.
- `transitions`: one transition table per entity (volunteer, newcomer, match) and one
  `apply()` that makes a status change with its history, audit entry and side effects.
- `audit`: what an audit entry is — the fact of an action, never the data.
- `tenancy`: which agency's rows a query may see; unset fails closed.
"""
