"""Widget metrics and the app badge from the UI, without automations.

The subentry data and value rules (`config`), the "Add widget metric" and "Add app
badge" flows (`flow`), what a followed value shares (`source`), a tracked metric
(`tracked`) and the badge (`badge`) at runtime, their pacing within each feature's
allowance (`sender`), what they last sent (`ledger`), their sensors (`sensors`) and
the entry's set of them, kept in step with its subentries (`manager`).
"""
